// CompleteMultipartUpload over a fake master: which failures are NoSuchUpload and which are not.

import { expect } from 'chai';
import type { Context } from 'koa';
import { DfsError } from '../../src/protocol/errors.js';
import type { VerifiedBody } from '../../src/s3/body.js';
import { S3Error } from '../../src/s3/errors.js';
import { completeMultipartUpload } from '../../src/s3/handle-multipart.js';
import { completedChecksum } from '../../src/s3/multipart-checksum.js';
import type { S3Request } from '../../src/s3/request.js';
import type { S3Route } from '../../src/s3/route.js';
import type { DfsClient } from '../../src/sdk/client.js';

const ETAG = '0123456789abcdef0123456789abcdef';
const PART = { number: 1, size: 3, etag: `"${ETAG}"`, chunks: [], lastModified: 0 };
const UPLOAD = { info: { path: '/bkt/k', contentType: '', metadata: {}, attributes: {} }, parts: [PART] };

/** The fake master's answers, in the order the handler asks. */
interface Fake {
  listParts: (() => unknown)[];
  stat?: () => unknown;
  commit?: () => unknown;
}

/** Completes upload `u1` of bkt/k (part 1) and returns what it threw. */
async function complete(fake: Fake): Promise<unknown> {
  const sdk = {
    stat: async () => fake.stat?.(),
    commit: async () => fake.commit?.(),
    api: {
      listParts: async () => {
        const next = fake.listParts.shift();
        if (!next) throw new Error('listParts asked once too often');
        return next();
      },
    },
  } as unknown as DfsClient;
  const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"${ETAG}"</ETag></Part></CompleteMultipartUpload>`;
  const body = Object.assign(
    (async function* () {
      yield Buffer.from(xml);
    })(),
    { length: xml.length },
  ) as unknown as VerifiedBody;
  const request = {
    ctx: { origin: 'http://gw' } as Context,
    route: { operation: 'CompleteMultipartUpload', bucket: 'bkt', key: 'k', uploadId: 'u1' } as S3Route,
    headers: {},
    body,
    signal: new AbortController().signal,
    deps: { sdk, region: 'us-east-1', owner: { id: 'o', displayName: 'o' }, log: () => {} },
  } as unknown as S3Request;
  return completeMultipartUpload(request).then(
    () => undefined,
    (err: unknown) => err,
  );
}

const code = (err: unknown) => (err instanceof S3Error || err instanceof DfsError ? err.code : String(err));
const fail =
  (c: ConstructorParameters<typeof DfsError>[0], message: string = c) =>
  () => {
    throw new DfsError(c, message);
  };

describe('s3 CompleteMultipartUpload: ended uploads and outages', () => {
  it('is NoSuchUpload when the upload and its file are gone', async () => {
    expect(code(await complete({ listParts: [fail('not_found')], stat: fail('not_found') }))).to.equal(
      'NoSuchUpload',
    );
  });

  it('passes on an outage while looking for a completed upload, not NoSuchUpload', async () => {
    expect(code(await complete({ listParts: [fail('not_found')], stat: fail('unavailable') }))).to.equal(
      'unavailable',
    );
  });

  it('is NoSuchUpload when the upload ended between the listing and the commit', async () => {
    const err = await complete({
      listParts: [() => UPLOAD, fail('not_found')],
      commit: fail('conflict', 'some wording the gateway does not read'),
    });
    expect(code(err)).to.equal('NoSuchUpload');
  });

  it("keeps a commit's own conflict when the upload is still open", async () => {
    const err = await complete({
      listParts: [() => UPLOAD, () => UPLOAD],
      commit: fail('conflict', 'chunk c1 is no longer stored; upload the file again'),
    });
    expect(code(err)).to.equal('conflict');
  });

  it('gives no checksum, rather than failing, when a stored part checksum is not one of the algorithm', async () => {
    const upload = { algorithm: 'CRC32', type: 'FULL_OBJECT' } as const;
    const listed = [{ partNumber: 1, etag: ETAG, checksums: {} }];
    for (const checksum of ['', 'AAAAAAAAAAA=', 'not base64'])
      expect(completedChecksum(upload, listed, [{ checksum, size: 3 }], 'u1'), checksum).to.equal(undefined);
    expect(completedChecksum(upload, listed, [{ checksum: 'AAAAAA==', size: 3 }], 'u1')?.value).to.equal(
      'AAAAAA==',
    );
  });
});
