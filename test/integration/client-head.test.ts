// HEAD /api/download/{path} on the web client answers exactly as GET would, without the body.

import type http from 'node:http';
import { expect } from 'chai';
import { bytes, pieces, randomData, request, startCluster, type TestCluster } from '../helpers/cluster.js';

// Headers that differ between any two answers, whatever the method.
const VARYING = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function comparable(headers: http.IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));
}

describe('HEAD on the web client', function () {
  this.timeout(30_000);
  let cluster: TestCluster;
  let web: string;

  before(async () => {
    cluster = await startCluster({ nodes: 2, webClient: true });
    web = cluster.client?.url as string;
    await cluster.sdk.upload(pieces(randomData(300_000)), '/docs/report final.pdf');
    await cluster.sdk.upload(bytes(''), '/docs/empty.txt');
  });

  after(async () => {
    await cluster?.close();
  });

  const cases: [string, string, Record<string, string>][] = [
    ['a whole file', '/api/download/docs/report%20final.pdf', {}],
    ['a range', '/api/download/docs/report%20final.pdf', { range: 'bytes=10-99' }],
    ['an open-ended range', '/api/download/docs/report%20final.pdf', { range: 'bytes=299990-' }],
    ['inline', '/api/download/docs/report%20final.pdf?inline=1', {}],
    ['an empty file', '/api/download/docs/empty.txt', {}],
  ];
  for (const [what, route, headers] of cases) {
    it(`answers ${what} with the status and headers of a GET, and no body`, async () => {
      const get = await request(`${web}${route}`, 'GET', headers);
      const head = await request(`${web}${route}`, 'HEAD', headers);
      expect(head.status).to.equal(get.status);
      expect(head.status).to.equal(headers.range ? 206 : 200);
      expect(comparable(head.headers)).to.deep.equal(comparable(get.headers));
      expect(head.headers['content-length']).to.equal(String(get.body.length));
      for (const name of ['content-type', 'etag', 'accept-ranges', 'content-disposition']) {
        expect(head.headers[name], name).to.be.a('string');
      }
      if (headers.range) expect(head.headers['content-range']).to.match(/^bytes \d+-\d+\/300000$/);
      expect(head.body.length).to.equal(0);
    });
  }

  it('answers a missing file and an unsatisfiable range (with the length) as GET does', async () => {
    for (const [route, headers] of [
      ['/api/download/docs/nope.pdf', {}],
      ['/api/download/docs/report%20final.pdf', { range: 'bytes=400000-' }],
    ] as [string, Record<string, string>][]) {
      const get = await request(`${web}${route}`, 'GET', headers);
      const head = await request(`${web}${route}`, 'HEAD', headers);
      expect(head.status, route).to.equal(get.status);
      expect(head.status).to.equal(headers.range ? 416 : 404);
      expect(head.body.length).to.equal(0);
      // RFC 9110 §15.5.17: a 416 gives the length, so the client can ask again.
      const contentRange = headers.range ? 'bytes */300000' : undefined;
      expect(get.headers['content-range'], route).to.equal(contentRange);
      expect(head.headers['content-range'], route).to.equal(contentRange);
    }
  });
});
