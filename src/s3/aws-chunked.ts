// Streaming decoder of `Content-Encoding: aws-chunked` bodies: signed chunks, trailers, checksums.

import { createHash } from 'node:crypto';
import type { BodyChecks } from './body-checks.js';
import { ByteReader, truncated } from './byte-reader.js';
import { S3Error } from './errors.js';
import type { ChunkSigning } from './sigv4.js';
import { chunkStringToSign, sameSignature, sign, trailerStringToSign } from './sigv4-canonical.js';

/** Largest chunk header or trailer line accepted, in bytes. */
export const MAX_CHUNK_LINE = 4096;
/** Largest signed chunk accepted (it is held in memory until its signature is checked). */
export const MAX_SIGNED_CHUNK = 16 * 1024 * 1024;
const MAX_TRAILER_LINES = 16;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

/** How to decode one aws-chunked body. */
export interface AwsChunkedOptions {
  /** Present when chunks are signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). */
  signing?: ChunkSigning;
  /** Trailers carry `x-amz-trailer-signature` (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`). */
  signedTrailer?: boolean;
  /** `x-amz-decoded-content-length`: the body must decode to exactly this many bytes. */
  decodedLength: number;
  /** Trailer names announced in `x-amz-trailer`, lower case. */
  trailerNames?: readonly string[];
  /** Sees every accepted byte, and the trailers before the last piece is released. */
  checks?: BodyChecks;
  /** Largest signed chunk; default MAX_SIGNED_CHUNK. */
  maxChunkSize?: number;
}

function malformed(detail: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${detail}`);
}

function badTrailer(detail: string): S3Error {
  return new S3Error(
    'MalformedTrailerError',
    `The request contained trailing data that was not well-formed: ${detail}`,
  );
}

/** Parses `hex-size[;name=value…]`; returns the size and the chunk-signature extension if any. */
function parseChunkHeader(line: string): { size: number; signature: string | undefined } {
  const [sizeText = '', ...extensions] = line.trimEnd().split(';');
  if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed('bad chunk size');
  let signature: string | undefined;
  for (const extension of extensions) {
    const eq = extension.indexOf('=');
    if (eq > 0 && extension.slice(0, eq).trim() === 'chunk-signature')
      signature = extension.slice(eq + 1).trim();
  }
  return { size: Number.parseInt(sizeText, 16), signature };
}

/**
 * Decodes an aws-chunked body, yielding its data. In signed mode each chunk is held until its
 * signature (chained from the seed) checks out, so a tampered chunk is never passed on; in every
 * mode the last piece is held back until the framing, the length, the trailers and `checks` have
 * all passed — so a consumer that commits only after the iterator ends never commits bad data.
 * Memory: one signed chunk, or one piece of the source when unsigned.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: AwsChunkedOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const reader = new ByteReader(source);
  const { signing, decodedLength, checks } = options;
  const maxChunk = options.maxChunkSize ?? MAX_SIGNED_CHUNK;
  const lineTooLong = () => malformed('chunk header too long');
  let previous = signing?.seedSignature ?? '';
  let received = 0;
  let pending: Buffer[] = [];
  try {
    for (;;) {
      const line = await reader.line(MAX_CHUNK_LINE, lineTooLong);
      if (line === undefined) throw truncated();
      const { size, signature } = parseChunkHeader(line);
      if (signing && (signature === undefined || !/^[0-9a-f]{64}$/i.test(signature))) {
        throw malformed('a chunk has no chunk-signature');
      }
      if (size > decodedLength - received) {
        throw malformed('the chunks hold more data than x-amz-decoded-content-length');
      }
      if (size === 0) {
        if (signing) previous = checkChunk(signing, previous, signature as string, []);
        break;
      }
      // Release the previous chunk only now that more data is known to follow it.
      for (const piece of pending) yield piece;
      pending = [];
      if (signing) {
        if (size > maxChunk) throw malformed(`a signed chunk is larger than ${maxChunk} bytes`);
        const pieces: Buffer[] = [];
        for await (const piece of reader.take(size)) pieces.push(piece);
        await expectCrlf(reader);
        previous = checkChunk(signing, previous, signature as string, pieces);
        for (const piece of pieces) checks?.update(piece);
        pending = pieces;
      } else {
        for await (const piece of reader.take(size)) {
          checks?.update(piece);
          for (const held of pending) yield held;
          pending = [piece];
        }
        await expectCrlf(reader);
      }
      received += size;
    }
    if (received !== decodedLength) throw truncated();
    const trailers = await readTrailers(reader, options.trailerNames ?? [], options.signedTrailer === true);
    if (options.signedTrailer && signing) checkTrailerSignature(signing, previous, trailers);
    trailers.delete(TRAILER_SIGNATURE);
    if (!(await reader.atEnd())) throw malformed('unexpected data after the last chunk');
    checks?.finish(trailers);
    for (const piece of pending) yield piece;
  } finally {
    await reader.close();
  }
}

async function expectCrlf(reader: ByteReader): Promise<void> {
  const crlf = await reader.exact(2);
  if (crlf[0] !== 0x0d || crlf[1] !== 0x0a) throw malformed('chunk data is not followed by CRLF');
}

/** Checks one chunk's signature against its data and the previous signature; returns it. */
function checkChunk(signing: ChunkSigning, previous: string, signature: string, pieces: Buffer[]): string {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  const expected = sign(
    signing.signingKey,
    chunkStringToSign(signing.amzDate, signing.scope, previous, hash.digest('hex')),
  );
  if (!sameSignature(expected, signature.toLowerCase())) {
    throw new S3Error('SignatureDoesNotMatch', 'The chunk signature does not match the chunk data.');
  }
  return expected;
}

function checkTrailerSignature(signing: ChunkSigning, previous: string, trailers: Map<string, string>): void {
  const signature = trailers.get(TRAILER_SIGNATURE);
  if (signature === undefined) throw badTrailer('x-amz-trailer-signature is missing');
  const signed = new Map([...trailers].filter(([name]) => name !== TRAILER_SIGNATURE));
  const expected = sign(
    signing.signingKey,
    trailerStringToSign(signing.amzDate, signing.scope, previous, signed),
  );
  if (!sameSignature(expected, signature.toLowerCase())) {
    throw new S3Error('SignatureDoesNotMatch', 'The trailer signature does not match the trailers.');
  }
}

/**
 * Reads the trailer section after the zero-size chunk, up to an empty line or the end of the
 * body. Clients differ on whether a blank line comes between the last chunk and the trailers
 * (AWS's documentation shows one, HTTP/1.1 chunked framing has none); both are accepted.
 */
async function readTrailers(
  reader: ByteReader,
  expected: readonly string[],
  signed: boolean,
): Promise<Map<string, string>> {
  const trailers = new Map<string, string>();
  const wanted = new Set(expected);
  if (signed) wanted.add(TRAILER_SIGNATURE);
  let lines = 0;
  for (;;) {
    const line = await reader.line(MAX_CHUNK_LINE, () => badTrailer('trailer line too long'));
    if (line === undefined) break;
    if (line === '') {
      if (lines === 0 && trailers.size === 0 && wanted.size > 0) {
        lines++;
        continue;
      }
      break;
    }
    if (++lines > MAX_TRAILER_LINES) throw badTrailer('too many trailer lines');
    const colon = line.indexOf(':');
    if (colon <= 0) throw badTrailer('a trailer line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!wanted.has(name)) throw badTrailer(`${name} was not announced in x-amz-trailer`);
    if (trailers.has(name)) throw badTrailer(`${name} is repeated`);
    trailers.set(name, line.slice(colon + 1).trim());
  }
  for (const name of wanted) if (!trailers.has(name)) throw badTrailer(`${name} is missing`);
  return trailers;
}
