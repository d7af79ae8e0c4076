// Building and draining aws-chunked bodies for the decoder tests.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error } from '../../src/s3/errors.js';
import type { ChunkSigning } from '../../src/s3/sigv4.js';
import { chunkStringToSign, sign, signingKey, trailerStringToSign } from '../../src/s3/sigv4-canonical.js';
import { DOC_SECRET } from './s3-signers.js';

/** The signing context of AWS's streaming examples (20130524, us-east-1). */
export function docSigning(seedSignature: string): ChunkSigning {
  return {
    signingKey: signingKey(DOC_SECRET, '20130524', 'us-east-1', 's3'),
    amzDate: '20130524T000000Z',
    scope: '20130524/us-east-1/s3/aws4_request',
    seedSignature,
  };
}

/** AWS's example body: 65536 + 1024 bytes of `a` and the final chunk, then `tail`. */
export function docBody(signatures: readonly string[], tail: string): Buffer {
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`),
    Buffer.alloc(65536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${signatures[1]}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${signatures[2]}\r\n${tail}`),
  ]);
}

/** Signs `chunks` (and optional trailers) into an aws-chunked body chained from `signing`. */
export function signedBody(
  signing: ChunkSigning,
  chunks: readonly Buffer[],
  trailers?: Map<string, string>,
): Buffer {
  const parts: Buffer[] = [];
  let previous = signing.seedSignature;
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const hash = createHash('sha256').update(chunk).digest('hex');
    previous = sign(signing.signingKey, chunkStringToSign(signing.amzDate, signing.scope, previous, hash));
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk);
    if (chunk.length > 0 || !trailers) parts.push(Buffer.from('\r\n'));
  }
  if (trailers) {
    const signature = sign(
      signing.signingKey,
      trailerStringToSign(signing.amzDate, signing.scope, previous, trailers),
    );
    for (const [name, value] of trailers) parts.push(Buffer.from(`${name}:${value}\r\n`));
    parts.push(Buffer.from(`x-amz-trailer-signature:${signature}\r\n\r\n`));
  }
  return Buffer.concat(parts);
}

/** An unsigned aws-chunked body with a CRC32 trailer, as the AWS SDKs send it. */
export function unsignedBody(chunks: readonly Buffer[], crc = crc32Base64(Buffer.concat(chunks))): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of chunks)
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from(`0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`));
  return Buffer.concat(parts);
}

/** The base64 CRC32 S3 uses. */
export function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
}

/** Feeds `body` in pieces of `size` bytes. */
export async function* piecesOf(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

/** What a consumer got out of a decoder: the bytes it was given, and the error that ended it. */
export interface Drained {
  data: Buffer;
  error: S3Error | undefined;
}

/** Reads `stream` to its end or its error (which must be an S3Error). */
export async function drain(stream: AsyncIterable<Buffer>): Promise<Drained> {
  const pieces: Buffer[] = [];
  try {
    for await (const piece of stream) pieces.push(Buffer.from(piece));
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    return { data: Buffer.concat(pieces), error: err };
  }
  return { data: Buffer.concat(pieces), error: undefined };
}

/** Drains a stream that must succeed, returning its bytes. */
export async function decoded(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const { data, error } = await drain(stream);
  if (error) throw error;
  return data;
}
