// The verified body of an authenticated request: aws-chunked decoded, hashes checked as it streams.

import { decodeAwsChunked } from './aws-chunked.js';
import { type BodyDigests, BodyVerifier } from './body-checks.js';
import {
  type ChecksumAlgorithm,
  checksumHeaderName,
  contentMd5,
  headerChecksum,
  trailerChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import type { Authenticated } from './sigv4.js';

/** S3's largest single PUT: 5 GiB. */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;

/** Options of requestBody. */
export interface RequestBodyOptions {
  /** Largest (decoded) body accepted, else EntityTooLarge; default MAX_PUT_SIZE. */
  maxSize?: number;
  /** Compute the MD5 of the body even without Content-MD5 (S3's ETag of a simple PUT). */
  computeMd5?: boolean;
  /**
   * False when an `x-amz-checksum-*` header speaks of something else than the body (on
   * CompleteMultipartUpload it is the whole object's): the body is not checked against it.
   */
  bodyChecksumHeader?: boolean;
}

/**
 * A request body that verifies itself while it is read. Iterate it once; an error (S3Error)
 * surfaces from the iterator before its last piece is yielded, so committing only after the loop
 * ends never commits a body that failed a signature, a hash, a checksum or its length.
 */
export interface VerifiedBody extends AsyncIterable<Buffer> {
  /** The body's declared length once decoded, or undefined when the client did not say. */
  readonly length: number | undefined;
  /** The digests computed, once the iterator has ended without error. */
  readonly digests: BodyDigests | undefined;
  /**
   * The SHA-256 the body was signed with (hex), which it is checked against as it streams: its
   * last bytes come only once they match, so a body read whole has it (undefined when unsigned).
   */
  readonly signedSha256: string | undefined;
  /** Asks for an `algorithm` checksum in `digests` when the body brings none (call before reading). */
  computeChecksum(algorithm: ChecksumAlgorithm): void;
}

function lengthHeader(headers: HeaderMap, name: string): number | undefined {
  const text = headerValue(headers, name)?.trim();
  if (text === undefined) return undefined;
  if (!/^\d{1,16}$/.test(text)) throw new S3Error('InvalidArgument', `${name} is not a valid length`);
  return Number(text);
}

/**
 * Wraps the raw bytes of a request (e.g. `ctx.req`) as a VerifiedBody for the payload mode the
 * signature announced. Header problems (Content-MD5, checksum headers, lengths) throw at once.
 */
export function requestBody(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  headers: HeaderMap,
  auth: Pick<Authenticated, 'payload' | 'signing'>,
  options: RequestBodyOptions = {},
): VerifiedBody {
  const maxSize = options.maxSize ?? MAX_PUT_SIZE;
  const mode = auth.payload.mode;
  const chunked =
    mode === 'signed-chunks' || mode === 'signed-chunks-trailer' || mode === 'unsigned-chunks-trailer';
  const withTrailer = mode === 'signed-chunks-trailer' || mode === 'unsigned-chunks-trailer';
  const sentTrailer = headerValue(headers, 'x-amz-trailer');
  if (sentTrailer !== undefined && !withTrailer) {
    throw new S3Error('InvalidRequest', 'x-amz-trailer needs a STREAMING-…-TRAILER x-amz-content-sha256');
  }
  const checksum = options.bodyChecksumHeader === false ? undefined : headerChecksum(headers);
  const trailer = withTrailer ? trailerChecksum(headers) : undefined;
  if (checksum && trailer) {
    throw new S3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  const signedSha256 = auth.payload.mode === 'sha256' ? auth.payload.sha256 : undefined;
  const verifier = new BodyVerifier({
    sha256: signedSha256,
    md5: contentMd5(headers),
    checksum,
    trailerChecksum: trailer,
    computeMd5: options.computeMd5,
  });
  let length: number | undefined;
  if (chunked) {
    length = lengthHeader(headers, 'x-amz-decoded-content-length');
    if (length === undefined) {
      throw new S3Error(
        'MissingContentLength',
        'aws-chunked uploads must send x-amz-decoded-content-length.',
      );
    }
  } else {
    length = lengthHeader(headers, 'content-length');
  }
  if (length !== undefined && length > maxSize) throw new S3Error('EntityTooLarge');

  let started = false;
  const decodedLength = length ?? 0;
  const iterate = (): AsyncGenerator<Buffer> => {
    if (started) throw new Error('a request body can be read only once');
    started = true;
    const guarded = guardSource(source);
    if (!chunked) return plainBody(guarded, length, maxSize, verifier);
    return decodeAwsChunked(guarded, {
      signing: mode === 'unsigned-chunks-trailer' ? undefined : auth.signing,
      signedTrailer: mode === 'signed-chunks-trailer',
      decodedLength,
      trailerNames: trailer ? [checksumHeaderName(trailer)] : [],
      checks: verifier,
    });
  };
  return {
    length,
    // Only a plain body is checked against it: an aws-chunked one signs each chunk instead.
    signedSha256: chunked ? undefined : signedSha256,
    get digests() {
      return verifier.digests;
    },
    computeChecksum: (algorithm) => verifier.compute(algorithm),
    [Symbol.asyncIterator]: iterate,
  };
}

/** A body sent as is: counted, hashed, and its last piece held until every check has passed. */
async function* plainBody(
  source: AsyncIterable<Buffer>,
  length: number | undefined,
  maxSize: number,
  verifier: BodyVerifier,
): AsyncGenerator<Buffer> {
  let received = 0;
  let pending: Buffer | undefined;
  for await (const piece of source) {
    if (piece.length === 0) continue;
    received += piece.length;
    if (received > (length ?? maxSize)) {
      throw length === undefined
        ? new S3Error('EntityTooLarge')
        : new S3Error('IncompleteBody', 'The request body is longer than its Content-Length');
    }
    verifier.update(piece);
    if (pending) yield pending;
    pending = piece;
  }
  if (length !== undefined && received !== length) throw new S3Error('IncompleteBody');
  verifier.finish(new Map());
  if (pending) yield pending;
}

/**
 * How long a body may stall before it is refused with RequestTimeout, as S3 does after about 20 s
 * (a client that stopped sending would else hold its upload until the connection's own timeout,
 * and get no answer). A setting for tests.
 */
export const bodyIdle = { ms: 20_000 };

/**
 * The source as Buffers; a connection that breaks mid-body becomes IncompleteBody, a body that
 * stalls RequestTimeout.
 */
async function* guardSource(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  const pieces = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const stalled = () =>
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new S3Error('RequestTimeout')), bodyIdle.ms);
    });
  try {
    for (;;) {
      const next = await Promise.race([pieces.next(), stalled()]).finally(() => clearTimeout(timer));
      if (next.done) return;
      const piece = next.value;
      yield typeof piece === 'string'
        ? Buffer.from(piece)
        : Buffer.isBuffer(piece)
          ? piece
          : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    }
  } catch (err) {
    if (err instanceof S3Error) throw err;
    throw new S3Error('IncompleteBody', 'The request body terminated unexpectedly', { cause: err });
  }
}

/** Reads a small body (an XML request) as UTF-8 text; MaxMessageLengthExceeded past `maxBytes`. */
export async function readBodyText(body: VerifiedBody, maxBytes: number): Promise<string> {
  if (body.length !== undefined && body.length > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    size += piece.length;
    if (size > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}
