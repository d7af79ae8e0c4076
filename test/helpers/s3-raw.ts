// Requests to the gateway signed by the AWS SDK's own SigV4 signer, sent as they are (no client
// retries or fix-ups), for error and signature edge-case tests.

import { createHash } from 'node:crypto';
import http from 'node:http';
import { ACCESS_KEY, SECRET_KEY } from './s3-cluster.js';
import { sdkSigner } from './s3-signers.js';

/** What the gateway answered. */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request to sign and send. */
export interface RawRequest {
  method?: string;
  /** The path as sent, with its query: `/bucket/key?uploads`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  region?: string;
  secret?: string;
  accessKey?: string;
  /** The signing time (default now). */
  date?: Date;
  /** Sign `UNSIGNED-PAYLOAD` instead of the body's SHA-256. */
  unsignedPayload?: boolean;
  /** Changes the request after signing (a tampered header). */
  tamper?: (headers: Record<string, string>) => void;
}

function splitPath(path: string): { path: string; query: Record<string, string> } {
  const [p, q = ''] = path.split('?', 2) as [string, string?];
  const query: Record<string, string> = {};
  for (const part of q.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    query[decodeURIComponent(eq < 0 ? part : part.slice(0, eq))] =
      eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
  }
  return { path: p, query };
}

/** Sends one request as is. */
export function sendRaw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
) {
  return new Promise<RawAnswer>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    // An options object, not a URL: a URL would be normalised (`/./x` sent as `/x`).
    const req = http.request({ hostname, port, path, method, headers }, (res) => {
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

/** Signs `request` with SigV4 (Authorization header) and sends it to the gateway at `url`. */
export async function signedRequest(url: string, request: RawRequest): Promise<RawAnswer> {
  const target = new URL(url);
  const { path, query } = splitPath(request.path);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = {
    host: target.host,
    // The S3 client adds the payload hash header before signing; the bare signer does not.
    'x-amz-content-sha256': request.unsignedPayload
      ? 'UNSIGNED-PAYLOAD'
      : createHash('sha256')
          .update(body ?? Buffer.alloc(0))
          .digest('hex'),
    ...(body && { 'content-length': String(body.length) }),
    ...request.headers,
  };
  const signer = sdkSigner(
    request.region ?? 'us-east-1',
    request.secret ?? SECRET_KEY,
    request.accessKey ?? ACCESS_KEY,
  );
  const signed = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path,
      query,
      headers,
      body,
    },
    { signingDate: request.date },
  );
  const sent = { ...(signed.headers as Record<string, string>) };
  request.tamper?.(sent);
  return sendRaw(url, request.method ?? 'GET', request.path, sent, body);
}

/** A presigned URL for `request` (GET by default) that lives `expiresIn` seconds from `date`. */
export async function presignedUrl(
  url: string,
  request: RawRequest & { expiresIn: number },
): Promise<string> {
  const target = new URL(url);
  const { path, query } = splitPath(request.path);
  const signer = sdkSigner(
    request.region ?? 'us-east-1',
    request.secret ?? SECRET_KEY,
    request.accessKey ?? ACCESS_KEY,
  );
  const signed = await signer.presign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path,
      query,
      // As the S3 client presigns: the body is not part of the signature.
      headers: { host: target.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...request.headers },
    },
    { expiresIn: request.expiresIn, signingDate: request.date },
  );
  const search = new URLSearchParams(signed.query as Record<string, string>)
    .toString()
    .replaceAll('+', '%20');
  return `${url}${path}?${search}`;
}

/** The `<Code>` of an error body. */
export function codeOf(answer: RawAnswer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1];
}
