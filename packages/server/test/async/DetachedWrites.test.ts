import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetachedWrites, type FailedAttempt } from '../../src/async/DetachedWrites.js';

/** Store writes beside the call path: retried while refused, bounded, in order per key, flushed at shutdown. */
describe('DetachedWrites', () => {
  it('tries a refused write again after 1 s, then 2 s, and reports each failed attempt', async () => {
    const writes = new DetachedWrites({ retryForMs: 60_000, maxHeld: 10 });
    const failures: FailedAttempt[] = [];
    let tries = 0;
    const started = Date.now();
    await writes.run(
      async () => {
        if (++tries < 3) throw new Error(`refused ${tries}`);
      },
      (failed) => failures.push(failed),
    );
    assert.equal(tries, 3);
    assert.deepEqual(
      failures.map(({ attempt, retryInMs }) => [attempt, retryInMs]),
      [
        [1, 1_000],
        [2, 2_000],
      ],
    );
    assert.ok(Date.now() - started >= 2_900, `written after ${Date.now() - started} ms`);
  });

  it('gives a write up once the next try would come after retryForMs', async () => {
    const writes = new DetachedWrites({ retryForMs: 500, maxHeld: 10 });
    const failures: FailedAttempt[] = [];
    await writes.run(
      () => Promise.reject(new Error('refused')),
      (failed) => failures.push(failed),
    );
    assert.deepEqual(
      failures.map(({ retryInMs }) => retryInMs),
      [undefined],
    );
  });

  it('holds at most maxHeld writes and refuses more; a write given `after` runs after it', async () => {
    const writes = new DetachedWrites({ retryForMs: 60_000, maxHeld: 2 });
    const order: string[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const first = writes.run(
      () => released.then(() => order.push('first')),
      () => {},
    );
    const second = writes.run(
      async () => order.push('second'),
      () => {},
      first,
    );
    assert.equal(
      writes.run(
        async () => {},
        () => {},
      ),
      undefined,
    );
    assert.equal(writes.held, 2);
    release();
    await second;
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(writes.held, 0);
  });

  it('flush gives a write waiting to be tried again one last try at once', async () => {
    const writes = new DetachedWrites({ retryForMs: 3_600_000, maxHeld: 10 });
    let tries = 0;
    void writes.run(
      async () => {
        tries++;
        throw new Error('refused');
      },
      () => {},
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await writes.flush();
    assert.ok(Date.now() - started < 500);
    assert.equal(tries, 2);
  });
});
