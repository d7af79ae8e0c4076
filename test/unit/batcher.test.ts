// The batcher: calls that pile up while a batch is out travel together, answers and errors go
// back to their own callers, a call abandoned while it waited is never sent, and a malformed
// answer fails its calls, not the process; the SDK sends allocations and commits together.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import type { CommitRequest } from '../../src/protocol/types.js';
import { type BatchAnswer, Batcher } from '../../src/sdk/batcher.js';
import { MasterApi } from '../../src/sdk/master-api.js';
import { waitFor } from '../helpers/wait.js';

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

  it("sends the SDK's allocations and commits in shared batches", async () => {
    // A stand-in master that holds its first batch until two more calls have piled up.
    const batches: string[][] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (p: Buffer) => parts.push(p));
      req.on('end', async () => {
        const { calls } = JSON.parse(Buffer.concat(parts).toString()) as { calls: { op: string }[] };
        batches.push(calls.map((c) => c.op));
        if (batches.length === 1) await held;
        const value = (op: string) => (op === 'allocate' ? { allocations: [] } : { path: '/f' });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ results: calls.map((c) => ({ ok: true, value: value(c.op) })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const api = new MasterApi([`http://127.0.0.1:${(server.address() as AddressInfo).port}`], '');
      const uploadId = '00000000-0000-4000-8000-000000000000';
      const first = api.allocate([], [], uploadId);
      await waitFor(() => batches.length > 0, 'the first batch');
      const later = [api.commit({ path: '/f' } as CommitRequest, uploadId), api.allocate([], [], uploadId)];
      release();
      await Promise.all([first, ...later]);
      expect(batches).to.deep.equal([['allocate'], ['commit', 'allocate']]);
    } finally {
      server.close();
    }
  });

  it('sends a batch to another master when one answers every call of it with its store down', async () => {
    const seen: string[] = [];
    const stand = (name: string, answer: (op: string) => unknown) =>
      http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (p: Buffer) => parts.push(p));
        req.on('end', () => {
          const { calls } = JSON.parse(Buffer.concat(parts).toString()) as { calls: { op: string }[] };
          seen.push(name);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ results: calls.map((c) => answer(c.op)) }));
        });
      });
    const down = stand('down', () => ({
      ok: false,
      status: 503,
      error: { code: 'unavailable', message: 'the metadata database is unavailable' },
    }));
    const up = stand('up', () => ({ ok: true, value: { path: '/f', chunks: [] } }));
    for (const s of [down, up]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const url = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      const api = new MasterApi([url(down), url(up)], '');
      expect((await api.stat('/f')).path).to.equal('/f');
      expect(seen).to.deep.equal(['down', 'up']);
      // It stays with the master that answered.
      await api.stat('/f');
      expect(seen).to.deep.equal(['down', 'up', 'up']);
    } finally {
      down.close();
      up.close();
    }
  });
});
