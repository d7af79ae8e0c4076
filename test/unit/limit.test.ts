// The SDK's concurrency limiter: never more than n tasks at once, however they are started.

import { expect } from 'chai';
import { Limiter } from '../../src/sdk/limit.js';

describe('Limiter', () => {
  it('runs at most n of many tasks started at once, and every one of them', async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          done.push(i);
        }),
      ),
    );
    expect(peak).to.equal(3);
    expect(done.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
  });

  it('frees the slot of a task that fails', async () => {
    const limiter = new Limiter(1);
    const failed = await limiter
      .run(() => Promise.reject(new Error('boom')))
      .catch((err: Error) => err.message);
    expect(failed).to.equal('boom');
    expect(await limiter.run(async () => 'next')).to.equal('next');
  });

  it('lets a caller wait for a slot before it starts a task (slot, then run)', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      await limiter.slot();
      tasks.push(
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
        }),
      );
    }
    await Promise.all(tasks);
    expect(peak).to.equal(2);
  });
});
