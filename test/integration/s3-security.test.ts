// A bad-input sweep of the S3 gateway: hostile keys, headers, bodies and framing, signed and not.
// After each case nothing appeared outside the data folders, nothing answered 5xx, and the gateway serves.

import { expect } from 'chai';
import { s3Config } from '../../src/config.js';
import { type RunningS3Gateway, startS3Gateway } from '../../src/s3/gateway.js';
import { type Arena, assertIntact, assertNoLeak, raw, startArena } from '../helpers/adversary.js';
import { ACCESS_KEY, SECRET_KEY } from '../helpers/s3-cluster.js';
import { codeOf, type RawAnswer, signedRequest } from '../helpers/s3-raw.js';

const BAD_KEYS = [
  '..',
  '../../outside/secret.txt',
  'a/../../../outside/etc/passwd',
  '%2e%2e/%2e%2e/outside/secret.txt',
  '..%2f..%2foutside%2fsecret.txt',
  '..%5c..%5coutside',
  'a%00.txt',
  '%0d%0aSet-Cookie:%20pwned=1',
  '%1b%5b31m',
  '%c0%ae%c0%ae/outside',
  '%',
  '%zz',
  '%ed%a0%80',
  'a//b',
  '%20',
  'a/%20/b',
  '/leading',
  'a'.repeat(256),
  `${'a'.repeat(200)}/`.repeat(6),
];

describe('s3 gateway: bad input changes nothing and crashes nothing', function () {
  this.timeout(90_000);
  let arena: Arena;
  let gateway: RunningS3Gateway;
  const logs: string[] = [];
  const signed = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    signedRequest(gateway.url, { method, path, headers, body });
  const refused = (answer: RawAnswer, what: string) => {
    expect(answer.status, `${what}: ${answer.status} ${answer.body.slice(0, 300)}`).to.be.within(400, 499);
    assertNoLeak(answer.body, what);
  };

  before(async () => {
    arena = await startArena({ nodes: 2, chunkSize: '1MiB' });
    gateway = await startS3Gateway(
      s3Config(
        { port: 0, master: arena.cluster.master.url, accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
        {},
      ),
      (line) => logs.push(line),
    );
    expect((await signed('PUT', '/sweep')).status).to.equal(200);
    expect((await signed('PUT', '/sweep/kept.txt', {}, 'kept')).status).to.equal(200);
  });
  afterEach(async () => {
    await assertIntact(arena);
    const list = await signed('GET', '/sweep?list-type=2');
    expect(list.status).to.equal(200);
    expect(logs).to.deep.equal([]);
  });
  after(async () => {
    await gateway?.close();
    await arena?.close();
  });

  it('refuses hostile keys in every object operation', async () => {
    for (const key of BAD_KEYS) {
      const path = `/sweep/${key}`;
      refused(await signed('PUT', path, {}, 'evil'), `PUT ${path}`);
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const answer = await signed(method, path);
        // A key that cannot exist is refused, or (DELETE of a name dfs reads differently) not found.
        expect(answer.status, `${method} ${path}: ${answer.body.slice(0, 200)}`).to.be.within(204, 499);
        expect(answer.status, `${method} ${path}`).to.not.equal(200);
      }
      refused(await signed('POST', `${path}?uploads`), `POST ${path}?uploads`);
      refused(
        await signed('PUT', '/sweep/copy', { 'x-amz-copy-source': `/sweep/${key}` }),
        `copy from ${key}`,
      );
    }
    const kept = await signed('GET', '/sweep/kept.txt');
    expect(kept.body).to.equal('kept');
  });

  it('refuses hostile bucket names, queries and headers', async () => {
    for (const path of ['/..', '/%2e%2e', '/UPPER', '/a', '/sweep%00', '/-bad-', '/xn--punycode', '/a..b']) {
      refused(await signed('PUT', path), `PUT ${path}`);
      refused(await signed('GET', `${path}/key`), `GET ${path}/key`);
    }
    refused(await signed('GET', '/sweep?list-type=3'), 'list-type=3');
    refused(await signed('GET', '/sweep?list-type=2&max-keys=-1'), 'max-keys=-1');
    refused(await signed('GET', '/sweep?list-type=2&continuation-token=%00%01'), 'bad token');
    refused(await signed('GET', '/sweep?list-type=2&encoding-type=base64'), 'encoding-type');
    refused(await signed('GET', '/sweep/kept.txt?response-content-type=a%0d%0aX:%20y'), 'header injection');
    refused(await signed('PUT', '/sweep/meta', { 'x-amz-meta-big': 'v'.repeat(3000) }, 'x'), 'metadata');
    refused(await signed('PUT', '/sweep/type', { 'content-type': 'not a type' }, 'x'), 'content type');
    refused(
      await signed('PUT', '/sweep/k?partNumber=1&uploadId=AAAAAAAAAAAAAAAA', {}, 'x'),
      'no such upload',
    );
    refused(await signed('PUT', '/sweep/k?partNumber=0&uploadId=x', {}, 'x'), 'part 0');
    refused(await signed('GET', '/sweep/k?uploadId=../../x'), 'upload id');
  });

  it('refuses hostile XML bodies', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>`;
    for (const body of [
      bomb,
      xxe,
      '<Delete>',
      '<Delete><Object/></Delete>',
      'x'.repeat(10_000),
      `<Delete>${'<a>'.repeat(5000)}</Delete>`,
    ]) {
      const answer = await signed('POST', '/sweep?delete', {}, body);
      refused(answer, `Delete body ${body.slice(0, 30)}`);
      expect(codeOf(answer)).to.equal('MalformedXML');
    }
    const created = await signed('POST', '/sweep/mp?uploads');
    const id = /<UploadId>([^<]+)</.exec(created.body)?.[1] ?? '';
    refused(
      await signed('POST', `/sweep/mp?uploadId=${id}`, {}, xxe.replace(/Delete/g, 'CompleteMultipartUpload')),
      'complete XXE',
    );
    refused(
      await signed(
        'PUT',
        '/sweep2',
        {},
        '<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>',
      ),
      'region',
    );
  });

  it('survives malformed framing: bad aws-chunked bodies, short bodies, hostile Authorization headers', async () => {
    const cases = [
      'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 ,,,,=,=\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/2026/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nx-amz-date: 99999999T999999Z\r\n\r\n`,
      'GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=99999999999 HTTP/1.1\r\nHost: x\r\n\r\n',
      'PUT /sweep/raw HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort',
      `PUT /sweep/raw HTTP/1.1\r\nHost: x\r\nAuthorization: ${'A'.repeat(60_000)}\r\n\r\n`,
    ];
    for (const request of cases) {
      const reply = await raw(gateway.url, [request], { halfClose: true });
      expect(
        reply.status === 0 || (reply.status >= 400 && reply.status < 500),
        `${request.slice(0, 60)}: ${reply.status}`,
      ).to.equal(true);
    }
    // A signed aws-chunked upload whose framing lies: never stored.
    for (const body of [
      'zz\r\nabc\r\n0\r\n\r\n',
      '5\r\nabc\r\n0\r\n\r\n',
      '3\r\nabc\r\n',
      '3\r\nabcdef\r\n0\r\n\r\n',
    ]) {
      const answer = await signed(
        'PUT',
        '/sweep/chunked',
        {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '3',
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
        body,
      );
      refused(answer, `aws-chunked ${JSON.stringify(body)}`);
    }
    expect((await signed('HEAD', '/sweep/chunked')).status).to.equal(404);
    // A client that hangs up half way through an upload: nothing stored, nothing logged.
    let head = '';
    await signedRequest(gateway.url, {
      method: 'PUT',
      path: '/sweep/cut',
      unsignedPayload: true,
      headers: { 'content-length': '3000000' },
      tamper: (h) => {
        head = `PUT /sweep/cut HTTP/1.1\r\n${Object.entries(h)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`;
        throw new Error('captured');
      },
    }).catch(() => undefined);
    await raw(gateway.url, [head, Buffer.alloc(1_500_000, 1)], { destroy: true });
    expect((await signed('HEAD', '/sweep/cut')).status).to.equal(404);
    expect((await signed('HEAD', '/sweep/raw')).status).to.equal(404);
  });
});
