// Requests signed by real signers (the AWS SDK for JavaScript, botocore) for the SigV4 tests.

import { execFileSync } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { buildQueryString } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/** The AWS documentation's example credentials. */
export const DOC_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
/** A key pair for signer round trips (a secret with characters that need care). */
export const KEY = 'AKIDSIGNERTEST';
export const SECRET = 'signer/secret+key=with/odd+chars';
export const REGION = 'eu-central-1';

/** A request as the server sees it. */
export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

/** The Checksum constructor SignatureV4 wants, on node:crypto. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

/** A SignatureV4 signer as the S3 client configures it (no path double-encoding). */
export function sdkSigner(region = REGION, secret = SECRET, accessKey = KEY): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: accessKey, secretAccessKey: secret },
    region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
  });
}

interface SmithyRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** The request target a Node HTTP handler sends for a smithy request. */
export function targetOf(request: SmithyRequest): string {
  const query = buildQueryString((request.query ?? {}) as Record<string, string | string[]>);
  return query ? `${request.path}?${query}` : request.path;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const pieces: Buffer[] = [];
  for await (const piece of body as AsyncIterable<Uint8Array | string>) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

class Captured extends Error {}

/**
 * Runs one call of the real S3 client (every middleware: checksums, aws-chunked,
 * signing) and returns the request it would have sent, instead of sending it.
 */
export async function sdkRequest(
  send: (client: S3Client) => Promise<unknown>,
  options: { region?: string; secret?: string; host?: string } = {},
): Promise<WireRequest> {
  let captured: WireRequest | undefined;
  const client = new S3Client({
    region: options.region ?? REGION,
    endpoint: `http://${options.host ?? '127.0.0.1:9000'}`,
    forcePathStyle: true,
    maxAttempts: 1,
    // The capture ends every request with an error; the SDK would warn about each on the console.
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    credentials: { accessKeyId: KEY, secretAccessKey: options.secret ?? SECRET },
    requestHandler: {
      handle: async (request: SmithyRequest) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
        captured = {
          method: request.method,
          url: targetOf(request),
          headers,
          body: await bodyBytes(request.body),
        };
        throw new Captured('captured');
      },
    },
  });
  try {
    await send(client);
  } catch (err) {
    if (!(err instanceof Captured)) throw err;
  } finally {
    client.destroy();
  }
  if (!captured) throw new Error('the client sent nothing');
  return captured;
}

let botocore: boolean | undefined;

/** True when Debian's botocore can be used as a second signer; otherwise warns loudly, once. */
export function hasBotocore(): boolean {
  if (botocore === undefined) {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import botocore.auth'], { stdio: 'ignore' });
      botocore = true;
    } catch {
      botocore = false;
      process.stderr.write(
        'WARNING: python3 with botocore is missing: the botocore signer tests are SKIPPED (CI installs it)\n',
      );
    }
  }
  return botocore;
}

const BOTO_SIGN = `
import json, sys
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    creds = Credentials(job['key'], job['secret'])
    req = AWSRequest(method=job['method'], url=job['url'], headers=job['headers'], data=job['body'].encode('latin1'))
    if job.get('presign'):
        S3SigV4QueryAuth(creds, 's3', job['region'], expires=job['presign']).add_auth(req)
    else:
        S3SigV4Auth(creds, 's3', job['region']).add_auth(req)
    p = req.prepare()
    out.append({'url': p.url, 'headers': {k.lower(): v for k, v in p.headers.items()}})
print(json.dumps(out))
`;

/** A request for botocore to sign: full URL (scheme, host, path, query) and headers. */
export interface BotoJob {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Presign for this many seconds instead of signing headers. */
  presign?: number;
}

/** Signs requests with botocore's S3 SigV4 signer; returns what the server would receive. */
export function botocoreSign(jobs: BotoJob[], region = REGION, secret = SECRET): WireRequest[] {
  const input = jobs.map((j) => ({ key: KEY, secret, region, headers: {}, body: '', ...j }));
  const output = execFileSync('/usr/bin/python3', ['-c', BOTO_SIGN], {
    input: JSON.stringify(input),
    env: { ...process.env, BOTO_DISABLE_CRT: 'true' },
  });
  return (JSON.parse(output.toString()) as { url: string; headers: Record<string, string> }[]).map((r, i) => {
    const url = new URL(r.url);
    // botocore signs the Host it derives from the URL but leaves the header to the HTTP layer.
    const headers = { host: url.host, ...r.headers };
    return {
      method: jobs[i]?.method ?? 'GET',
      url: r.url.slice(url.origin.length),
      headers,
      body: Buffer.from(jobs[i]?.body ?? '', 'latin1'),
    };
  });
}
