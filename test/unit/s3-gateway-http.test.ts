// The Koa glue over raw HTTP: error bodies, request ids, Expect handling, tampered and cut uploads.

import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import type { LogFields } from '../../src/http/errors.js';
import { serve } from '../../src/http/serve.js';
import { bodyIdle } from '../../src/s3/body.js';
import { S3Error } from '../../src/s3/errors.js';
import { s3Errors, sendEmpty } from '../../src/s3/middleware.js';
import { docBody } from '../helpers/s3-chunked.js';
import { DOC_KEY, DOC_SECRET, sdkSigner } from '../helpers/s3-signers.js';
import { startTestGateway, TEST_KEYS, TEST_REGION, type TestGateway } from '../helpers/s3-test-gateway.js';
import { waitFor } from '../helpers/wait.js';

const [ACCESS_KEY, SECRET_KEY] = Object.entries(TEST_KEYS)[0] as [string, string];

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (p: Buffer) => pieces.push(p));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(pieces).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** True once `received` holds a whole final response (after any 100 Continue). */
function complete(received: string): boolean {
  const response = received.replace(/^HTTP\/1.1 100 Continue\r\n\r\n/, '');
  const end = response.indexOf('\r\n\r\n');
  if (end < 0 || response.startsWith('HTTP/1.1 100')) return false;
  const length = /\r\ncontent-length: (\d+)/i.exec(response.slice(0, end))?.[1];
  return response.length - end - 4 >= Number(length ?? 0);
}

/** Writes `head` on a raw socket and returns what the server sends, up to one whole response. */
function rawExchange(port: number, head: string, onContinue?: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (onContinue && received === 'HTTP/1.1 100 Continue\r\n\r\n') onContinue(socket);
      if (complete(received)) socket.end();
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.write(head);
  });
}

describe('s3 glue: errors and request ids', () => {
  const log: string[] = [];
  const logFields: (LogFields | undefined)[] = [];
  let url = '';
  let close: () => Promise<void> = async () => {};
  before(async () => {
    const app = new Koa();
    app.use(
      s3Errors((line, fields) => {
        log.push(line);
        logFields.push(fields);
      }),
    );
    app.use(async (ctx) => {
      ctx.set('ETag', '"stale"');
      ctx.set('Content-Range', 'bytes 0-1/2');
      switch (ctx.path) {
        case '/internal':
          throw new Error('secret detail');
        case '/missing':
          throw new S3Error('NoSuchKey', undefined, { fields: { Key: 'k' } });
        case '/not-modified':
          throw new S3Error('NotModified', undefined, { headers: { ETag: '"abc"' } });
        case '/koa':
          ctx.throw(400, 'bad thing');
          break;
        case '/slow':
          throw new S3Error('SlowDown');
        case '/head':
          ctx.remove('ETag');
          ctx.remove('Content-Range');
          sendEmpty(ctx, 200, 1234);
          break;
        default:
          ctx.remove('ETag');
          ctx.remove('Content-Range');
          sendEmpty(ctx);
      }
    });
    const listening = await serve(app, '127.0.0.1', 0);
    url = listening.url;
    close = listening.close;
  });
  after(() => close());

  it('gives every answer a request id, and an empty 200 a Content-Length of 0', async () => {
    const ok = await send(url, 'PUT', '/ok');
    expect([ok.status, ok.body, ok.headers['content-length']]).to.deep.equal([200, '', '0']);
    expect(ok.headers['x-amz-request-id']).to.match(/^[0-9A-F]{16}$/);
    expect(ok.headers['x-amz-id-2']).to.be.a('string');
  });

  it('answers a HEAD with the length a GET would send', async () => {
    const head = await send(url, 'HEAD', '/head');
    expect([head.status, head.headers['content-length'], head.body]).to.deep.equal([200, '1234', '']);
  });

  it('writes the XML error with the request id, dropping headers meant for a success', async () => {
    const answer = await send(url, 'GET', '/missing');
    expect(answer.status).to.equal(404);
    expect(answer.headers['content-type']).to.equal('application/xml');
    expect(answer.headers.etag).to.equal(undefined);
    expect(answer.headers['content-range']).to.equal(undefined);
    expect(answer.body).to.equal(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><Resource>/missing</Resource><RequestId>${answer.headers['x-amz-request-id']}</RequestId><HostId>${answer.headers['x-amz-id-2']}</HostId></Error>`,
    );
  });

  it('sends no body on HEAD or 304', async () => {
    const head = await send(url, 'HEAD', '/missing');
    expect([head.status, head.body]).to.deep.equal([404, '']);
    const notModified = await send(url, 'GET', '/not-modified');
    expect([notModified.status, notModified.body, notModified.headers.etag]).to.deep.equal([
      304,
      '',
      '"abc"',
    ]);
  });

  it('hides internal errors from the caller and logs them with their stack', async () => {
    log.length = 0;
    const answer = await send(url, 'GET', '/internal');
    expect(answer.status).to.equal(500);
    expect(answer.body).to.contain('<Code>InternalError</Code>');
    expect(answer.body).to.contain('We encountered an internal error. Please try again.');
    expect(answer.body).not.to.contain('secret detail');
    expect(log).to.have.length(1);
    expect(log[0]).to.contain('secret detail');
    expect(log[0]).to.contain(String(answer.headers['x-amz-request-id']));
  });

  it("keeps koa's 4xx messages and logs other 5xx in one line", async () => {
    const koa = await send(url, 'GET', '/koa');
    expect([
      koa.status,
      koa.body.includes('<Code>InvalidRequest</Code><Message>bad thing</Message>'),
    ]).to.deep.equal([400, true]);
    log.length = 0;
    expect((await send(url, 'GET', '/slow')).status).to.equal(503);
    expect(log).to.deep.equal(['GET /slow: 503 SlowDown Please reduce your request rate.']);
  });

  it('logs failures at level error with the path, never the presigned query', async () => {
    const query =
      '?X-Amz-Credential=AKIDLEAK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=feedface';
    for (const [path, status] of [
      ['/internal', 500],
      ['/slow', 503],
    ] as const) {
      log.length = 0;
      logFields.length = 0;
      expect((await send(url, 'GET', `${path}${query}`)).status).to.equal(status);
      expect(log).to.have.length(1);
      expect(log[0]).to.contain(`GET ${path}`);
      expect(log[0]).not.to.match(/AKIDLEAK|feedface|X-Amz/);
      expect(logFields).to.deep.equal([{ level: 'error', method: 'GET', path, status }]);
    }
  });
});

describe('s3 glue: Expect handling', () => {
  let gateway: TestGateway;
  let port = 0;
  before(async () => {
    gateway = await startTestGateway();
    port = Number(new URL(gateway.url).port);
  });
  after(() => gateway.close());

  async function signedHead(method: string, path: string, extra: Record<string, string>): Promise<string> {
    const host = `127.0.0.1:${port}`;
    const signed = await sdkSigner(TEST_REGION, SECRET_KEY, ACCESS_KEY).sign({
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path,
      query: {},
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...extra },
    });
    const lines = Object.entries({ ...signed.headers, expect: extra.expect ?? '' })
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}`);
    return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  }

  it('answers a refused upload before asking for its body (no 100 Continue)', async () => {
    const head = `PUT /b/refused HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nexpect: 100-continue\r\nauthorization: AWS4-HMAC-SHA256 junk\r\n\r\n`;
    const received = await rawExchange(port, head);
    expect(received).to.match(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(received).not.to.contain('100 Continue');
    expect(received.toLowerCase()).to.contain('connection: close');
    expect(gateway.objects.has('b/refused')).to.equal(false);
  });

  it('sends 100 Continue when the handler starts reading, then takes the body', async () => {
    const head = await signedHead('PUT', '/b/continued', { 'content-length': '5', expect: '100-continue' });
    const received = await rawExchange(port, head, (socket) => socket.write('hello'));
    expect(received).to.match(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    expect(gateway.objects.get('b/continued')?.data.toString()).to.equal('hello');
  });

  it('lets requests with other Expect values through instead of 417', async () => {
    const head = await signedHead('GET', '/b/continued', { expect: 'something-else' });
    const received = await rawExchange(port, head);
    expect(received).to.match(/^HTTP\/1.1 200 OK\r\n/);
    // Without the helper Node answers by itself.
    const plain = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainPort = (plain.address() as net.AddressInfo).port;
    const refused = await rawExchange(
      plainPort,
      'GET / HTTP/1.1\r\nhost: x\r\nexpect: something-else\r\nconnection: close\r\n\r\n',
    );
    plain.close();
    expect(refused).to.match(/^HTTP\/1.1 417 /);
  });
});

describe('s3 glue: signed streaming uploads over HTTP', () => {
  const SIGS = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const headers = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    authorization: `AWS4-HMAC-SHA256 Credential=${DOC_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
  };
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      keys: { [DOC_KEY]: DOC_SECRET },
      now: () => Date.UTC(2013, 4, 24, 0, 5),
    });
  });
  after(() => gateway.close());
  const path = '/examplebucket/chunkObject.txt';

  it("stores AWS's streaming example", async () => {
    const answer = await send(gateway.url, 'PUT', path, headers, docBody(SIGS, '\r\n'));
    expect(answer.status, answer.body).to.equal(200);
    expect(
      gateway.objects.get('examplebucket/chunkObject.txt')?.data.equals(Buffer.alloc(66560, 'a')),
    ).to.equal(true);
    gateway.objects.clear();
  });

  it('refuses it tampered, having committed nothing and passed on no byte of the bad chunk', async () => {
    const body = docBody(SIGS, '\r\n');
    body[body.length - 200] = 0x62;
    const answer = await send(gateway.url, 'PUT', path, headers, body);
    expect([answer.status, answer.body.includes('<Code>SignatureDoesNotMatch</Code>')]).to.deep.equal([
      403,
      true,
    ]);
    const record = gateway.requests.at(-1);
    expect([record?.outcome, record?.committed, record?.bodyBytes]).to.deep.equal([
      'SignatureDoesNotMatch',
      false,
      65536,
    ]);
    expect(gateway.objects.size).to.equal(0);
  });

  it('commits nothing when the client hangs up mid-body, and logs no failure', async () => {
    const before = gateway.requests.length;
    const port = Number(new URL(gateway.url).port);
    const head = `PUT ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(head);
        socket.end(docBody(SIGS, '\r\n').subarray(0, 30_000));
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
    const record = await waitFor(
      () => gateway.requests.slice(before).find((r) => r.outcome),
      'the handler to finish',
    );
    if (!record) throw new Error('waitFor returns only what it found');
    expect([record.operation, record.outcome, record.committed]).to.deep.equal([
      'PutObject',
      'IncompleteBody',
      false,
    ]);
    expect(record.bodyBytes).to.equal(0);
    expect(gateway.objects.size).to.equal(0);
    expect(
      gateway.log.filter((line) => line.includes('InternalError') || line.includes('failed')),
    ).to.deep.equal([]);
  });

  it('answers a body that stalls with 400 RequestTimeout, as S3 does, and commits nothing', async () => {
    const was = bodyIdle.ms;
    bodyIdle.ms = 300;
    const port = Number(new URL(gateway.url).port);
    const head = `PUT ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
    let socket: net.Socket | undefined;
    try {
      // Part of the body, then nothing more: the client is still there, waiting.
      const answer = await new Promise<string>((resolve, reject) => {
        let received = '';
        socket = net.connect(port, '127.0.0.1', () => {
          socket?.write(head);
          socket?.write(docBody(SIGS, '\r\n').subarray(0, 30_000));
        });
        socket.on('data', (d: Buffer) => {
          received += d.toString();
          if (complete(received)) resolve(received);
        });
        socket.on('error', reject);
      });
      expect(answer).to.match(/^HTTP\/1.1 400 /);
      expect(answer).to.include('<Code>RequestTimeout</Code>');
      expect(answer.toLowerCase()).to.include('connection: close');
      expect(gateway.objects.size).to.equal(0);
    } finally {
      bodyIdle.ms = was;
      socket?.destroy();
    }
  });
});
