import { perContainer } from '../../src/per-container';

describe('perContainer: built once per Lambda container, a failed start retried', () => {
  it('builds once for concurrent and later calls, all sharing the one result', async () => {
    let builds = 0;
    let finish!: (value: { id: number }) => void;
    const ready = perContainer(() => {
      builds++;
      return new Promise<{ id: number }>((resolve) => (finish = resolve));
    });
    const waiting = [ready(), ready(), ready()];
    finish({ id: 1 });
    const [first, ...others] = await Promise.all(waiting);
    expect(builds).toBe(1);
    for (const other of others) expect(other).toBe(first);
    expect(await ready()).toBe(first);
    expect(builds).toBe(1);
  });

  it('forgets a failed build: every call waiting on it fails, and the next call builds again', async () => {
    const outcomes = [new Error('secret unreadable'), 'ready'];
    let builds = 0;
    const ready = perContainer(async () => {
      const outcome = outcomes[builds++];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
    await expect(Promise.all([ready(), ready()])).rejects.toThrow('secret unreadable');
    expect(builds).toBe(1);
    await expect(ready()).resolves.toBe('ready');
    await expect(ready()).resolves.toBe('ready');
    expect(builds).toBe(2);
  });
});
