// ListMultipartUploads over a fake master: paging by markers, with and without a delimiter, and
// a bucket with more open uploads than one scan reads.

import { expect } from 'chai';
import type { Context } from 'koa';
import { compareUtf8 } from '../../src/protocol/byte-order.js';
import { S3Error } from '../../src/s3/errors.js';
import { listMultipartUploads, MAX_SCAN } from '../../src/s3/handle-uploads-list.js';
import type { S3Request } from '../../src/s3/request.js';
import type { S3Route } from '../../src/s3/route.js';
import type { DfsClient } from '../../src/sdk/client.js';

interface Open {
  uploadId: string;
  path: string;
  initiated: number;
}

/** `count` open uploads of bucket `bkt`, one per key k00000…. */
const perKey = (count: number): Open[] =>
  Array.from({ length: count }, (_, i) => ({ uploadId: `u${i}`, path: `/bkt/${key(i)}`, initiated: 0 }));
const key = (i: number) => `k${String(i).padStart(5, '0')}`;

/** Runs ListMultipartUploads on bucket `bkt` holding `uploads` (sorted by path). */
async function list(uploads: Open[], query: Record<string, string> = {}): Promise<string> {
  const sdk = {
    list: async () => ({ entries: [] }),
    api: {
      // As the master: by path, from `from` on, at most `limit` (itself at most 10,000).
      listMultiparts: async (prefix: string, limit: number, options: { from?: string }) =>
        uploads
          .filter((u) => u.path.startsWith(prefix) && compareUtf8(u.path, options.from ?? '') >= 0)
          .slice(0, Math.min(limit, 10_000)),
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

const tags = (xml: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1] ?? '');

const commonPrefixes = (xml: string) =>
  [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1] ?? '');

/** Follows the markers page by page; returns every key and common prefix listed, in order. */
async function everyPage(uploads: Open[], query: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  const markers: Record<string, string> = {};
  for (let page = 0; page < 100; page++) {
    const xml = await list(uploads, { ...query, ...markers });
    seen.push(...tags(xml, 'Key'), ...commonPrefixes(xml));
    if (tag(xml, 'IsTruncated') !== 'true') return seen;
    markers['key-marker'] = tag(xml, 'NextKeyMarker') ?? '';
    markers['upload-id-marker'] = tag(xml, 'NextUploadIdMarker') ?? '';
  }
  throw new Error('the pages never end');
}

describe('s3 ListMultipartUploads: paging', () => {
  it('lists every upload of a bucket under the scan, untruncated', async () => {
    const xml = await list(perKey(MAX_SCAN), { 'key-marker': key(MAX_SCAN - 2) });
    expect([uploadCount(xml), tag(xml, 'IsTruncated')]).to.deep.equal([1, 'false']);
  });

  it('truncates a page the scan cuts short, and goes on after its last entry', async () => {
    // A common prefix over more uploads than a scan: the page holds it alone.
    const uploads = [
      ...Array.from({ length: MAX_SCAN + 5 }, (_, i) => ({
        uploadId: `u${i}`,
        path: `/bkt/d/${key(i)}`,
        initiated: 0,
      })),
      { uploadId: 'last', path: '/bkt/e', initiated: 0 },
    ];
    const xml = await list(uploads, { delimiter: '/' });
    expect([commonPrefixes(xml), uploadCount(xml), tag(xml, 'IsTruncated')]).to.deep.equal([
      ['d/'],
      0,
      'true',
    ]);
    expect([tag(xml, 'NextKeyMarker'), tag(xml, 'NextUploadIdMarker')]).to.deep.equal(['d/', '']);
    expect(await everyPage(uploads, { delimiter: '/' })).to.deep.equal(['d/', 'e']);
  });

  it('goes on past the scan from the marker: every upload of a large bucket once', async () => {
    const uploads = perKey(MAX_SCAN + 1500);
    const xml = await list(uploads, { 'key-marker': key(MAX_SCAN + 1) });
    expect(tag(xml, 'Key')).to.equal(key(MAX_SCAN + 2));
    expect(await everyPage(uploads, {})).to.deep.equal(uploads.map((_, i) => key(i)));
  });

  it('lists a common prefix once: a marker that is one skips the keys below it', async () => {
    const uploads = ['d/1', 'd/2', 'd/3', 'e', 'f/1'].map((k, i) => ({
      uploadId: `u${i}`,
      path: `/bkt/${k}`,
      initiated: 0,
    }));
    expect(await everyPage(uploads, { delimiter: '/', 'max-uploads': '1' })).to.deep.equal(['d/', 'e', 'f/']);
    // The uploads of one key, paged by upload-id marker.
    const same = [0, 1, 2].map((i) => ({ uploadId: `u${i}`, path: '/bkt/same', initiated: i }));
    expect(await everyPage(same, { 'max-uploads': '1' })).to.deep.equal(['same', 'same', 'same']);
  });

  it("goes on past a key-marker's own uploads, however many, without an upload-id marker", async () => {
    const uploads = [
      ...Array.from({ length: MAX_SCAN + 2 }, (_, i) => ({
        uploadId: `u${i}`,
        path: '/bkt/same',
        initiated: i,
      })),
      { uploadId: 'next', path: '/bkt/same2', initiated: 0 },
    ];
    const xml = await list(uploads, { 'key-marker': 'same' });
    expect([tags(xml, 'Key'), tag(xml, 'IsTruncated')]).to.deep.equal([['same2'], 'false']);
  });

  it('refuses a prefix or key-marker longer than any key, in S3 words', async () => {
    for (const name of ['prefix', 'key-marker']) {
      const error = await list([], { [name]: 'k'.repeat(1100) }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect([(error as S3Error).code, (error as S3Error).status], name).to.deep.equal([
        'InvalidArgument',
        400,
      ]);
    }
  });

  it("refuses a page when more than a scan of the marker key's uploads precede its upload-id marker", async () => {
    const same = Array.from({ length: MAX_SCAN + 2 }, (_, i) => ({
      uploadId: `u${i}`,
      path: '/bkt/same',
      initiated: i,
    }));
    const error = await list(same, { 'key-marker': 'same', 'upload-id-marker': `u${MAX_SCAN}` }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(S3Error);
    expect((error as S3Error).code).to.equal('NotImplemented');
  });
});
