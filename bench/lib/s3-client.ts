// The bench's S3 client: `dfs s3` started in a bench cluster with fixed credentials, and requests
// signed with SigV4 over an unsigned payload, as the AWS SDKs sign over TLS. Shared by the S3
// rows and the small-file load generator.

import http from 'node:http';
import { canonicalRequest, sign, signingKey, stringToSign } from '../../src/s3/sigv4-canonical.js';
import { formatAmzDate } from '../../src/s3/sigv4-fields.js';
import type { Cluster } from './cluster.js';

export const S3_KEY = 'BENCHACCESSKEY0000000';
export const S3_SECRET = 'bench-secret-key-for-the-s3-gateway-rows';
export const S3_REGION = 'us-east-1';
/** The bucket every bench cluster's gateway is given. */
export const S3_BUCKET = 'bench';

/** SigV4 headers of a request to `path` (URL-encoded, as sent) with an unsigned payload. */
export function signedHeaders(method: string, path: string, host: string): Record<string, string> {
  const amzDate = formatAmzDate(Date.now());
  const date = amzDate.slice(0, 8);
  const headers = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': amzDate };
  const names = ['host', 'x-amz-content-sha256', 'x-amz-date'];
  const scope = `${date}/${S3_REGION}/s3/aws4_request`;
  const request = canonicalRequest(method, path, '', names, headers, 'UNSIGNED-PAYLOAD');
  const signature = sign(signingKey(S3_SECRET, date, S3_REGION, 's3'), stringToSign(amzDate, scope, request));
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${S3_KEY}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** One signed request on a keep-alive agent; resolves with the status and the body size. */
export function s3Call(agent: http.Agent, url: URL, method: string, path: string, body?: Buffer) {
  return new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    const headers = signedHeaders(method, path, url.host);
    const req = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        method,
        path,
        headers: body ? { ...headers, 'content-length': body.length } : headers,
      },
      (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          bytes += d.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts `dfs s3` in `cluster` and makes the bench's bucket; returns the gateway's URL. */
export async function startGateway(cluster: Cluster): Promise<{ url: URL }> {
  const daemon = await cluster.add('s3', ['s3', '--port', '0', '--master', cluster.masterUrl], {
    DFS_S3_ACCESS_KEY: S3_KEY,
    DFS_S3_SECRET_KEY: S3_SECRET,
  });
  const url = new URL(daemon.url);
  const made = await s3Call(new http.Agent(), url, 'PUT', `/${S3_BUCKET}`);
  if (made.status !== 200) throw new Error(`the S3 gateway answered ${made.status} to PUT /${S3_BUCKET}`);
  return { url };
}
