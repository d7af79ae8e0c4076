// The ways `npm run chaos` writes and reads: through the SDK, or through a front a user's tool
// talks to (the web client's API, its WebDAV, the S3 gateway), which is then hurt too. Each way
// does the same four calls on dfs paths (`/chaos/…`) and says which answers change nothing.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DfsError } from '../../src/protocol/errors.js';
import type { DfsClient } from '../../src/sdk/client.js';
import { collect } from '../../test/helpers/cluster.js';
import type { Daemon, ProcCluster } from '../../test/helpers/processes.js';

export const WAYS = ['sdk', 'web', 'dav', 's3'] as const;
/** The top folder every chaos path is under (through S3: the bucket). */
export const ROOT = 'chaos';
export type WayName = (typeof WAYS)[number];

/** What a remove or a move answered when it did nothing: the path was missing, or the target taken. */
export type Refused = 'not_found' | 'exists';

/** One way of writing. A call resolves with `undefined` when done, a `Refused` when it did nothing. */
export interface Way {
  /** The daemon between the writers and the cluster (hurt like the others), if any. */
  front?: Daemon;
  upload(path: string, data: Buffer): Promise<void>;
  remove(path: string): Promise<Refused | undefined>;
  /** Moves `from` over `to` (replacing it) where the way can; else refuses with 'exists'. */
  move(from: string, to: string): Promise<Refused | undefined>;
  /** The whole file, or 'not_found'. */
  read(path: string): Promise<Buffer | 'not_found'>;
}

/** An error's short name, for grouping failures: a dfs error code, an S3 error code or an HTTP status. */
export function codeOf(err: unknown): string {
  if (err instanceof DfsError) return err.code;
  if (err instanceof S3ServiceException) return err.name;
  if (err instanceof HttpError) return String(err.status);
  return 'transport';
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    text: string,
  ) {
    super(`${status} ${text.slice(0, 200)}`);
  }
}

/** Starts what `name` needs in `cluster` (the folders its writers use are `folders`). */
export async function startWay(
  name: WayName,
  cluster: ProcCluster,
  sdk: DfsClient,
  folders: string[],
): Promise<Way> {
  if (name === 'sdk') return sdkWay(sdk);
  if (name === 's3') return s3Way(cluster);
  // The web client: its API and its WebDAV; WebDAV's PUT needs the parent folders to exist.
  for (const folder of folders) await sdk.mkdir(folder);
  const front = await cluster.addFront('client');
  return name === 'web' ? webWay(front) : davWay(front);
}

function sdkWay(sdk: DfsClient): Way {
  const refused = (err: unknown): Refused => {
    if (codeOf(err) === 'not_found') return 'not_found';
    throw err;
  };
  return {
    upload: async (path, data) => {
      await sdk.upload([data], path);
    },
    remove: (path) => sdk.remove(path).then(() => undefined, refused),
    move: (from, to) => sdk.move(from, to, true).then(() => undefined, refused),
    read: (path) => collect(sdk.download(path)).catch((err) => refused(err) as 'not_found'),
  };
}

// A frozen front answers once thawed (at most 7 s); a call longer than this is a failure.
const HTTP_TIMEOUT = 60_000;

async function http(url: string, init: RequestInit, refusals: Record<number, Refused> = {}) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT) });
  const text = await res.text();
  if (res.ok) return undefined;
  const refused = refusals[res.status];
  if (refused) return refused;
  throw new HttpError(res.status, text);
}

// A GET's whole body (a body cut short fails: its Content-Length is checked), or 'not_found'.
async function get(url: string): Promise<Buffer | 'not_found'> {
  const res = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT) });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) return 'not_found';
  if (res.status !== 200) throw new HttpError(res.status, body.toString());
  return body;
}

function webWay(front: Daemon): Way {
  // The page's own header: the web client refuses writes without it (cross-site requests).
  const headers = { 'x-dfs-csrf': '1' };
  const api = (path: string) => `${front.url}/api/files${encodeURI(path)}`;
  return {
    front,
    upload: async (path, data) => {
      await http(api(path), { method: 'PUT', body: data, headers });
    },
    remove: (path) => http(api(path), { method: 'DELETE', headers }, { 404: 'not_found' }),
    // The page's move never replaces a file: a taken target is 409.
    move: (from, to) =>
      http(
        `${front.url}/api/move`,
        {
          method: 'POST',
          body: JSON.stringify({ from, to }),
          headers: { ...headers, 'content-type': 'application/json' },
        },
        { 404: 'not_found', 409: 'exists' },
      ),
    read: (path) => get(`${front.url}/api/download${encodeURI(path)}`),
  };
}

function davWay(front: Daemon): Way {
  const dav = (path: string) => `${front.url}/dav${encodeURI(path)}`;
  return {
    front,
    upload: async (path, data) => {
      await http(dav(path), { method: 'PUT', body: data });
    },
    remove: (path) => http(dav(path), { method: 'DELETE' }, { 404: 'not_found' }),
    move: (from, to) =>
      http(
        dav(from),
        { method: 'MOVE', headers: { destination: dav(to), overwrite: 'T' } },
        { 404: 'not_found' },
      ),
    read: (path) => get(dav(path)),
  };
}

const ACCESS_KEY = 'CHAOSACCESSKEY000000';
const SECRET_KEY = 'chaos-secret-key-of-the-s3-gateway';
const MIB = 1024 * 1024;

async function s3Way(cluster: ProcCluster): Promise<Way> {
  const front = await cluster.addFront('s3', ['--access-key', ACCESS_KEY, '--secret-key', SECRET_KEY]);
  // The AWS SDK as applications use it: path style, its own retries (3 attempts) and checksums.
  const s3 = new S3Client({
    endpoint: front.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  await s3.send(new CreateBucketCommand({ Bucket: ROOT }));
  const key = (path: string) => path.slice(ROOT.length + 2);
  const noSuchKey = (err: unknown): Refused => {
    if (codeOf(err) === 'NoSuchKey') return 'not_found';
    throw err;
  };
  return {
    front,
    // A body over 5 MiB goes in two parts (5 MiB, then the rest); one upload in seven of the others
    // in one part (the last part may be of any size).
    upload: async (path, data) => {
      if (data.length <= 5 * MIB && Math.random() < 6 / 7) {
        await s3.send(new PutObjectCommand({ Bucket: ROOT, Key: key(path), Body: data }));
        return;
      }
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: ROOT, Key: key(path) }));
      const parts = data.length > 5 * MIB ? [data.subarray(0, 5 * MIB), data.subarray(5 * MIB)] : [data];
      try {
        const sent = [];
        for (const [i, body] of parts.entries()) {
          const PartNumber = i + 1;
          const { ETag } = await s3.send(
            new UploadPartCommand({ Bucket: ROOT, Key: key(path), UploadId, PartNumber, Body: body }),
          );
          sent.push({ ETag, PartNumber });
        }
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: ROOT,
            Key: key(path),
            UploadId,
            MultipartUpload: { Parts: sent },
          }),
        );
      } catch (err) {
        // Best effort, as applications do: an upload left open expires on its own.
        if (codeOf(err) !== 'NoSuchUpload')
          await s3
            .send(new AbortMultipartUploadCommand({ Bucket: ROOT, Key: key(path), UploadId }))
            .catch(() => {});
        throw err;
      }
    },
    // DeleteObject of a missing key succeeds (S3's rule): never refused.
    remove: async (path) => {
      await s3.send(new DeleteObjectCommand({ Bucket: ROOT, Key: key(path) }));
      return undefined;
    },
    // S3 has no rename: a copy, then a delete of the source, as `aws s3 mv` does.
    move: async (from, to) => {
      const source = `${ROOT}/${encodeURIComponent(key(from)).replaceAll('%2F', '/')}`;
      const copied = await s3
        .send(new CopyObjectCommand({ Bucket: ROOT, Key: key(to), CopySource: source }))
        .then(() => undefined, noSuchKey);
      if (copied) return copied;
      await s3.send(new DeleteObjectCommand({ Bucket: ROOT, Key: key(from) }));
      return undefined;
    },
    read: async (path) => {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: ROOT, Key: key(path) }));
        return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      } catch (err) {
        return noSuchKey(err) as 'not_found';
      }
    },
  };
}
