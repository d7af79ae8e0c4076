// Requests over raw-http.ts (through transport.ts's `send`, as chunk GETs and PUTs go): what they
// send and read, the sockets they keep, and every way an answer can go wrong, against a node
// written byte by byte.

import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../../src/protocol/headers.js';
import { fetchChunk, PipelineError, putChunk } from '../../src/sdk/chunk-io.js';
import { send } from '../../src/sdk/transport.js';

const getInto = (url: URL, headers: Record<string, string>, signal?: AbortSignal, into?: Buffer) =>
  send(url, { method: 'GET', headers, timeout: 30_000 }, signal, into);
const putWhole = (url: URL, headers: Record<string, string>, body: Buffer) =>
  send(url, { method: 'PUT', headers, body, timeout: 30_000 });

/** How the fake node answers one request on a connection (its text, and its index there). */
type Answer = (socket: net.Socket, request: string, index: number) => void;

/**
 * A node on a raw socket: answers each request with `answer` once its body is read (or, with
 * `beforeBody`, as soon as its head is); keeps the requests' heads and bodies; counts its connections.
 */
async function rawNode(answer: Answer, { beforeBody = false } = {}) {
  const requests: string[] = [];
  const bodies: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    let index = 0;
    let bodyLength: number | undefined; // of the request whose body is being read
    socket.on('error', () => {});
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (;;) {
        if (bodyLength === undefined) {
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) return;
          const request = pending.slice(0, end);
          pending = pending.slice(end + 4);
          bodyLength = Number(/\r\ncontent-length: *(\d+)/i.exec(request)?.[1] ?? 0);
          requests.push(request);
          if (beforeBody) answer(socket, request, index++);
        }
        if (pending.length < bodyLength) return;
        bodies.push(Buffer.from(pending.slice(0, bodyLength), 'latin1'));
        pending = pending.slice(bodyLength);
        bodyLength = undefined;
        if (!beforeBody) answer(socket, requests.at(-1) as string, index++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = (path = '/chunks/c') =>
    new URL(path, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  return {
    url,
    requests,
    bodies,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Kept-alive client sockets would hold close() open.
        for (const s of sockets) s.destroy();
      }),
  };
}

/** An answer with a Content-Length body. */
function ok(body: Buffer | string, extra = ''): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${data.length}\r\n${extra}\r\n`),
    data,
  ]);
}

describe('sdk chunk GET into a buffer', () => {
  const nodes: { close(): Promise<void> }[] = [];
  const node = async (answer: Answer) => {
    const n = await rawNode(answer);
    nodes.push(n);
    return n;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  it('reads the body into the given buffer, on one kept-alive socket, sending its headers', async () => {
    const n = await node((socket, _req, i) => socket.write(ok(`body ${i}`)));
    const into = Buffer.alloc(64);
    for (const i of [0, 1, 2]) {
      const reply = await getInto(n.url(), { authorization: 'Bearer t' }, undefined, into);
      expect(reply.status).to.equal(200);
      expect(reply.body.toString()).to.equal(`body ${i}`);
      expect(reply.body.buffer).to.equal(into.buffer); // read in place, no copy of its own
      expect(reply.headers['content-length']).to.equal('6');
    }
    expect(n.connections()).to.equal(1);
    expect(n.requests[0]).to.match(/^GET \/chunks\/c HTTP\/1\.1\r\n/);
    expect(n.requests[0]).to.include('\r\nauthorization: Bearer t');
  });

  it('reads no body after the head of an answer to a HEAD, whatever length it states', async () => {
    const n = await node((socket, req) =>
      socket.write(req.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n' : ok('after')),
    );
    const head = await send(n.url(), { method: 'HEAD', headers: {}, timeout: 30_000 });
    expect([head.status, head.headers['content-length'], head.body.length]).to.deep.equal([200, '5', 0]);
    expect((await getInto(n.url(), {})).body.toString()).to.equal('after');
    expect(n.connections()).to.equal(1);
  });

  it('reads a body larger than the buffer into one of its own, and an empty one', async () => {
    const big = Buffer.alloc(100_000, 7);
    const n = await node((socket, _req, i) => socket.write(i === 0 ? ok(big) : ok('')));
    const into = Buffer.alloc(16);
    const reply = await getInto(n.url(), {}, undefined, into);
    expect(reply.body.equals(big)).to.equal(true);
    expect(reply.body.buffer).not.to.equal(into.buffer);
    expect((await getInto(n.url(), {}, undefined, into)).body.length).to.equal(0);
    expect(n.connections()).to.equal(1);
  });

  it('parses a head and body that arrive a byte at a time, and a head sent with its body', async () => {
    const n = await node((socket, _req, i) => {
      const bytes = ok(`answer number ${i}`, 'x-multi: a\r\nX-Multi: b\r\n');
      if (i === 1) return socket.write(bytes);
      let at = 0;
      const drip = () => {
        if (at < bytes.length) socket.write(bytes.subarray(at, ++at), () => setImmediate(drip));
      };
      drip();
    });
    const first = await getInto(n.url(), {}, undefined, Buffer.alloc(64));
    expect(first.body.toString()).to.equal('answer number 0');
    expect(first.headers['x-multi']).to.equal('a, b');
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('answer number 1');
  });

  it("turns a node's error answer into its error, and keeps the socket", async () => {
    const n = await node((socket) => {
      const body = JSON.stringify({ error: { code: 'not_found', message: 'chunk c is not on this node' } });
      socket.write(`HTTP/1.1 404 Not Found\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    for (const _ of [0, 1]) {
      const err = await fetchChunk(n.url('/').href, 'c', '', undefined, Buffer.alloc(1024)).catch((e) => e);
      expect(err).to.include({ code: 'not_found' });
      expect(err.message).to.include('chunk c is not on this node');
    }
    expect(n.connections()).to.equal(1);
  });

  it('reads an answer framed otherwise (chunked) through node:http, and every later one', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.write('chunked ');
      res.end('body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/chunks/c`);
      const reply = await getInto(url, {}, undefined, Buffer.alloc(64));
      expect([reply.status, reply.body.toString()]).to.deep.equal([200, 'chunked body']);
      expect(requests).to.equal(2); // read raw, then asked again through node:http
      expect((await getInto(url, {})).body.toString()).to.equal('chunked body');
      expect(requests).to.equal(3); // through node:http alone from then on
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a GET again on a new socket when the node closed the kept-alive one unanswered', async () => {
    const n = await node((socket, _req, i) => {
      // A node closing an idle socket as the next request reaches it.
      if (i === 1) socket.destroy();
      else socket.write(ok(`answer ${n.connections()}`));
    });
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('answer 1');
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('answer 2');
    expect(n.requests.length).to.equal(3);
  });

  it('does not keep a socket the node says it closes, or that sent more than its body', async () => {
    const n = await node((socket, req) => {
      if (req.includes('/close')) socket.write(ok('closing', 'connection: close\r\n'));
      else if (req.includes('/junk')) socket.write(Buffer.concat([ok('body'), Buffer.from('trailing junk')]));
      else socket.write(ok('fine'));
    });
    expect((await getInto(n.url('/close'), {}, undefined)).body.toString()).to.equal('closing');
    expect((await getInto(n.url('/junk'), {}, undefined)).body.toString()).to.equal('body');
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('fine');
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('fine');
    expect(n.connections()).to.equal(3);
  });

  it('fails a body cut short, a malformed answer and a refused connection, and goes on', async () => {
    const n = await node((socket, req) => {
      if (req.includes('/cut')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly part');
        setImmediate(() => socket.destroy());
      } else if (req.includes('/garbage')) socket.write('SMTP ready\r\n\r\n');
      else socket.write(ok('fine'));
    });
    const cut = await getInto(n.url('/cut'), {}, undefined).catch((e) => e);
    expect(cut).to.be.an('error');
    expect(cut.code).to.equal('ECONNRESET');
    const garbage = await getInto(n.url('/garbage'), {}, undefined).catch((e) => e);
    expect(garbage.message).to.match(/malformed HTTP response/);
    expect((await getInto(n.url(), {}, undefined)).body.toString()).to.equal('fine');
    const closed = await rawNode(() => {});
    const url = closed.url();
    await closed.close();
    expect(await getInto(url, {}, undefined).catch((e) => e.code)).to.equal('ECONNREFUSED');
  });

  it('stops at once when aborted mid-body, and the next GET is answered', async () => {
    let slow: net.Socket | undefined;
    const n = await node((socket, req) => {
      if (!req.includes('/slow')) return socket.write(ok('next'));
      slow = socket;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nsome');
    });
    const controller = new AbortController();
    const into = Buffer.alloc(1000);
    const pending = getInto(n.url('/slow'), {}, controller.signal, into);
    while (into[0] === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('the caller left'));
    expect((await pending.catch((e) => e)).message).to.equal('the caller left');
    const before = Buffer.from(into);
    // The rest of the body, sent after the abort, lands nowhere.
    const gone = new Promise((resolve) => slow?.once('close', resolve));
    slow?.write('x'.repeat(996));
    await gone;
    expect((await getInto(n.url(), {}, undefined, Buffer.alloc(8))).body.toString()).to.equal('next');
    expect(into.equals(before)).to.equal(true); // nothing more was read into the abandoned buffer
    expect(await getInto(n.url(), {}, controller.signal).catch((e) => e.message)).to.equal('the caller left');
  });

  it('opens at most 64 sockets to one node, the rest waiting their turn', async () => {
    let answered = 0;
    const held: (() => void)[] = [];
    const n = await node((socket) => {
      const go = () => socket.write(ok(`n${answered++}`));
      // The node answers nothing until 64 requests are open at once: the client opens 64 sockets.
      if (n.requests.length < 64) return held.push(go);
      for (const first of held.splice(0)) first();
      go();
    });
    const replies = await Promise.all(
      Array.from({ length: 100 }, () => getInto(n.url(), {}, undefined).then((r) => r.body.toString())),
    );
    expect(new Set(replies).size).to.equal(100);
    expect(n.connections()).to.equal(64);
  });
});

/** A node's 201 with one receipt per name. */
function receipts(...nodes: string[]): Buffer {
  const body = JSON.stringify({
    receipts: nodes.map((nodeId) => ({ nodeId, chunkId: 'c', signature: 's' })),
  });
  return Buffer.from(`HTTP/1.1 201 Created\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
}

describe('sdk chunk PUT of a whole body', () => {
  const nodes: { close(): Promise<void> }[] = [];
  const node = async (answer: Answer, options?: { beforeBody: boolean }) => {
    const n = await rawNode(answer, options);
    nodes.push(n);
    return n;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  it('sends the head and the body on one kept-alive socket and reads the receipts', async () => {
    const n = await node((socket) => socket.write(receipts('node-1', 'node-2')));
    for (const size of [4096, 0, 300_000]) {
      const body = Buffer.alloc(size, size % 251);
      const got = await putChunk([n.url('/').href, 'http://127.0.0.1:9'], 'c', 'tok', body);
      expect(got.map((r) => r.nodeId)).to.deep.equal(['node-1', 'node-2']);
    }
    expect(n.connections()).to.equal(1);
    expect(n.bodies.map((b) => [b.length, b.every((x) => x === b.length % 251)])).to.deep.equal([
      [4096, true],
      [0, true],
      [300_000, true],
    ]);
    expect(n.requests[0]).to.match(/^PUT \/chunks\/c HTTP\/1\.1\r\n/);
    expect(n.requests[0]).to.include(`\r\n${TOKEN_HEADER}: tok`);
    expect(n.requests[0]).to.include(`\r\n${FORWARD_HEADER}: http://127.0.0.1:9`);
    expect(n.requests[0]).to.include('\r\nContent-Length: 4096');
  });

  it('sends a PUT again on a new socket when the node closed the kept-alive one unanswered', async () => {
    const n = await node((socket, _req, i) => {
      if (i === 1) socket.destroy();
      else socket.write(receipts(`answer ${n.connections()}`));
    });
    const put = () => putChunk([n.url('/').href], 'c', '', Buffer.from('chunk')).then((r) => r[0]?.nodeId);
    expect(await put()).to.equal('answer 1');
    expect(await put()).to.equal('answer 2');
    expect(n.requests.length).to.equal(3); // the second PUT, then the same PUT again
    expect(n.bodies.map(String)).to.deep.equal(['chunk', 'chunk', 'chunk']);
  });

  it('does not keep a socket the node answered before the body had left', async () => {
    const n = await node(
      (socket, req) => {
        if (!req.includes('/big')) return socket.write(receipts('node-1'));
        // Refused from its head, the body left unread: the client cannot finish sending it.
        socket.pause();
        const body = JSON.stringify({ error: { code: 'payload_too_large', message: 'chunk is too large' } });
        socket.write(`HTTP/1.1 413 Payload Too Large\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      },
      { beforeBody: true },
    );
    const big = await putWhole(n.url('/big'), {}, Buffer.alloc(64 * 1024 * 1024));
    expect(big.status).to.equal(413);
    const got = await putChunk([n.url('/').href], 'c', '', Buffer.from('small'));
    expect(got[0]?.nodeId).to.equal('node-1');
    expect(n.connections()).to.equal(2);
  });

  it("blames the node at fault: the one a node names, the first, or none for the request's refusal", async () => {
    const n = await node((socket, req) => {
      const error = (status: string, code: string, extra = '') => {
        const body = JSON.stringify({ error: { code, message: `${code} here` } });
        socket.write(`HTTP/1.1 ${status}\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`);
      };
      if (req.includes('/chunks/down'))
        error('502 Bad Gateway', 'bad_gateway', `${FAILED_NODE_HEADER}: http://n2\r\n`);
      else if (req.includes('/chunks/mine')) error('500 Internal Server Error', 'internal');
      else if (req.includes('/chunks/bad')) error('403 Forbidden', 'forbidden');
      else socket.write('HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\nnope');
    });
    const first = n.url('/').href;
    const put = (id: string) => putChunk([first, 'http://n2'], id, '', Buffer.from('x')).catch((e) => e);
    const down = await put('down');
    expect(down)
      .to.be.instanceOf(PipelineError)
      .and.include({ failedNode: 'http://n2', code: 'bad_gateway' });
    expect(await put('mine'))
      .to.be.instanceOf(PipelineError)
      .and.include({ failedNode: first });
    const refused = await put('bad');
    expect(refused).not.to.be.instanceOf(PipelineError);
    expect(refused).to.include({ code: 'forbidden' });
    expect(await put('garbled'))
      .to.be.instanceOf(PipelineError)
      .and.include({ failedNode: first });
    const closed = await rawNode(() => {});
    const gone = closed.url('/').href;
    await closed.close();
    const unreachable = await putChunk([gone], 'c', '', Buffer.from('x')).catch((e) => e);
    expect(unreachable).to.be.instanceOf(PipelineError).and.include({ failedNode: gone });
    expect(unreachable.message).to.include('ECONNREFUSED');
  });
});
