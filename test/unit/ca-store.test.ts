import { statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { tempDir } from '../helpers/tools';

const material = { certPem: 'CERT\n', keyPem: 'KEY\n' };

describe('LocalCaStore', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('ca-store');
  });
  afterEach(() => dir.remove());

  it('saves the key with mode 0600 and loads it back', async () => {
    const store = new LocalCaStore(join(dir.path, 'state'));
    expect(await store.load()).toBeUndefined();
    await store.save(material);
    expect(statSync(join(store.location, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(material);
    expect(readdirSync(join(dir.path, 'state'))).toEqual(['ca']);
  });

  it('refuses to replace an existing CA unless told to', async () => {
    const store = new LocalCaStore(dir.path);
    await store.save(material);
    await expect(store.save({ certPem: 'NEW', keyPem: 'NEW' })).rejects.toThrow(/already exists/);
    expect(await store.load()).toEqual(material);
    await store.save({ certPem: 'NEW', keyPem: 'NEW' }, { overwrite: true });
    expect(await store.load()).toEqual({ certPem: 'NEW', keyPem: 'NEW' });
  });

  it('says which file is missing from a half-present CA', async () => {
    const store = new LocalCaStore(dir.path);
    mkdirSync(store.location);
    writeFileSync(join(store.location, 'ca.crt'), 'CERT');
    await expect(store.load()).rejects.toThrow(/holds only ca.crt/);
  });
});
