import { generateKeyPairSync } from 'node:crypto';
import { KeyPool } from '../../src/pki/key-pool';
import { KeyPair } from '../../src/pki/keys';

/** A controllable generator: each call returns a promise the test settles. */
function manualGenerator() {
  const pending: { resolve(key: KeyPair): void; reject(error: unknown): void }[] = [];
  const generate = () => new Promise<KeyPair>((resolve, reject) => pending.push({ resolve, reject }));
  return { generate, pending };
}
const fakeKey = (): KeyPair => generateKeyPairSync('rsa', { modulusLength: 512 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyPool', () => {
  it('keeps `depth` keys generating and hands each key out once', async () => {
    const { generate, pending } = manualGenerator();
    const pool = new KeyPool(2, generate);
    pool.warm();
    expect(pending).toHaveLength(2);
    const [a, b] = [fakeKey(), fakeKey()];
    pending[0].resolve(a);
    pending[1].resolve(b);
    await tick();
    expect(await pool.take()).toBe(a);
    expect(pending).toHaveLength(3);
    expect(await pool.take()).toBe(b);
    expect(pending).toHaveLength(4);
  });

  it('serves waiters in order as keys finish, whichever generation finishes first', async () => {
    const { generate, pending } = manualGenerator();
    const pool = new KeyPool(1, generate);
    const first = pool.take();
    const second = pool.take();
    expect(pending).toHaveLength(3);
    const [x, y] = [fakeKey(), fakeKey()];
    pending[2].resolve(x);
    pending[0].resolve(y);
    expect(await first).toBe(x);
    expect(await second).toBe(y);
  });

  it('passes a generation failure to the waiter and recovers on the next take', async () => {
    const { generate, pending } = manualGenerator();
    const pool = new KeyPool(1, generate);
    const failing = pool.take();
    pending[0].reject(new Error('entropy exhausted'));
    await expect(failing).rejects.toThrow('entropy exhausted');
    const key = fakeKey();
    const next = pool.take();
    expect(pending).toHaveLength(3);
    pending[2].resolve(key);
    expect(await next).toBe(key);
  });

  it('produces distinct real RSA-2048 keys', async () => {
    const pool = new KeyPool(2);
    const keys = await Promise.all([pool.take(), pool.take(), pool.take()]);
    const moduli = new Set(keys.map((k) => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex')));
    expect(moduli.size).toBe(3);
    expect(keys.every((k) => k.privateKey.asymmetricKeyDetails?.modulusLength === 2048)).toBe(true);
  });
});
