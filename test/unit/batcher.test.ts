// The batcher: calls that pile up while a batch is out travel together, answers and errors go
// back to their own callers, a call abandoned while it waited is never sent, and a malformed
// answer fails its calls, not the process.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { type BatchAnswer, Batcher } from '../../src/sdk/batcher.js';

describe('batcher', () => {
  it('sends the first call at once and the ones that piled up meanwhile as one batch', async () => {
    const sent: unknown[][] = [];
    let release = () => {};
    const batcher = new Batcher(async (calls) => {
      sent.push(calls);
      if (sent.length === 1) await new Promise<void>((r) => (release = r));
      return calls.map((c): BatchAnswer => ({ ok: true, value: (c as number) * 2 }));
    }, 'test');
    const first = batcher.run<number>(1);
    const rest = [2, 3, 4].map((n) => batcher.run<number>(n));
    release();
    expect(await Promise.all([first, ...rest])).to.deep.equal([2, 4, 6, 8]);
    expect(sent).to.deep.equal([[1], [2, 3, 4]]);
  });

  it('rejects each failed call with its own error, and every call when the batch fails', async () => {
    const batcher = new Batcher(
      async (calls) =>
        calls.map(
          (c): BatchAnswer =>
            c === 'bad'
              ? { ok: false, status: 409, error: { code: 'conflict', message: 'taken' } }
              : { ok: true, value: c },
        ),
      'test',
    );
    const [good, bad] = await Promise.allSettled([batcher.run('good'), batcher.run('bad')]);
    expect(good).to.deep.include({ status: 'fulfilled', value: 'good' });
    expect(bad.status === 'rejected' && (bad.reason as DfsError).code).to.equal('conflict');
    const down = new Batcher(async () => {
      throw new DfsError('unavailable', 'down');
    }, 'test');
    const both = await Promise.allSettled([down.run(1), down.run(2)]);
    expect(both.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('never sends a call abandoned while it waited, and rejects it at once', async () => {
    const sent: unknown[] = [];
    let release = () => {};
    const batcher = new Batcher(async (calls) => {
      sent.push(...calls);
      if (sent.length === 1) await new Promise<void>((r) => (release = r));
      return calls.map((c): BatchAnswer => ({ ok: true, value: c }));
    }, 'test');
    const first = batcher.run('first');
    const controller = new AbortController();
    const abandoned = batcher.run('abandoned', controller.signal).catch((e) => e);
    controller.abort(new Error('gave up'));
    // Rejected while the first batch is still out.
    expect(((await abandoned) as Error).message).to.equal('gave up');
    release();
    await first;
    expect(sent).to.deep.equal(['first']);
  });

  it('rejects the calls of a batch answered with no list of results, and goes on', async () => {
    let batches = 0;
    const batcher = new Batcher(async (calls) => {
      if (batches++ === 0) return undefined as unknown as BatchAnswer[];
      return calls.map((c): BatchAnswer => ({ ok: true, value: c }));
    }, 'test');
    const first = await batcher.run('first').catch((e) => e);
    expect((first as DfsError).code).to.equal('bad_gateway');
    expect(await batcher.run('second')).to.equal('second');
  });
});
