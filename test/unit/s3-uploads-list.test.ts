// ListMultipartUploads over a fake master: a bucket with more open uploads than one scan reads.

import { expect } from 'chai';
import type { Context } from 'koa';
import { S3Error } from '../../src/s3/errors.js';
import { listMultipartUploads, MAX_SCAN } from '../../src/s3/handle-uploads-list.js';
import type { S3Request } from '../../src/s3/request.js';
import type { S3Route } from '../../src/s3/route.js';
import type { DfsClient } from '../../src/sdk/client.js';

/** Runs ListMultipartUploads on bucket `bkt` holding `count` open uploads k00000…, one per key. */
async function list(count: number, query: Record<string, string> = {}): Promise<string> {
  const uploads = Array.from({ length: count }, (_, i) => ({
    uploadId: `u${i}`,
    path: `/bkt/k${String(i).padStart(5, '0')}`,
    initiated: 0,
  }));
  const sdk = {
    list: async () => ({ entries: [] }),
    api: {
      // As the master: by path, at most `limit` (itself at most 10,000).
      listMultiparts: async (prefix: string, limit: number) =>
        uploads.filter((u) => u.path.startsWith(prefix)).slice(0, Math.min(limit, 10_000)),
    },
  } as unknown as DfsClient;
  const ctx = {} as Context;
  const request = {
    ctx,
    route: {
      operation: 'ListMultipartUploads',
      bucket: 'bkt',
      query: new Map(Object.entries(query)),
    } as S3Route,
    signal: new AbortController().signal,
    deps: { sdk, region: 'us-east-1', owner: { id: 'o', displayName: 'o' }, log: () => {} },
  } as unknown as S3Request;
  await listMultipartUploads(request);
  return String(ctx.body);
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const uploadCount = (xml: string) => xml.split('<Upload>').length - 1;

describe('s3 ListMultipartUploads: more open uploads than one scan', () => {
  it('lists every upload of a bucket under the scan, untruncated', async () => {
    const xml = await list(MAX_SCAN, { 'key-marker': `k${String(MAX_SCAN - 2).padStart(5, '0')}` });
    expect([uploadCount(xml), tag(xml, 'IsTruncated')]).to.deep.equal([1, 'false']);
  });

  it('truncates a page cut short by the scan, with markers after its last upload', async () => {
    const last = `k${String(MAX_SCAN - 1).padStart(5, '0')}`;
    const xml = await list(MAX_SCAN + 5, { 'key-marker': `k${String(MAX_SCAN - 3).padStart(5, '0')}` });
    expect([uploadCount(xml), tag(xml, 'IsTruncated')]).to.deep.equal([2, 'true']);
    expect([tag(xml, 'NextKeyMarker'), tag(xml, 'NextUploadIdMarker')]).to.deep.equal([
      last,
      `u${MAX_SCAN - 1}`,
    ]);
  });

  it('refuses a page whose marker lies past the scan rather than answer an empty last page', async () => {
    const error = await list(MAX_SCAN + 5, {
      'key-marker': `k${String(MAX_SCAN - 1).padStart(5, '0')}`,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(S3Error);
    expect((error as S3Error).code).to.equal('NotImplemented');
  });
});
