// Verifying a request body as it streams: signed SHA-256, Content-MD5, x-amz-checksum-* (header or trailer).

import {
  type ChecksumAlgorithm,
  checkChecksumValue,
  checksumHeaderName,
  createHasher,
  type Hasher,
  type SentChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';

/** What a body decoder calls: every accepted byte, then once at the end with the trailers. */
export interface BodyChecks {
  update(data: Buffer): void;
  /** Throws the S3Error of the first check that fails. */
  finish(trailers: ReadonlyMap<string, string>): void;
}

/** What the body must match; every field optional. */
export interface BodyExpectations {
  /** The signed payload hash (hex) from `x-amz-content-sha256`. */
  sha256?: string;
  /** The 16 bytes of `Content-MD5`. */
  md5?: Buffer;
  /** An `x-amz-checksum-*` header. */
  checksum?: SentChecksum;
  /** The checksum algorithm whose value arrives as an aws-chunked trailer. */
  trailerChecksum?: ChecksumAlgorithm;
  /** Compute the body's MD5 even without Content-MD5 (for an S3-style ETag). */
  computeMd5?: boolean;
}

/** What is known of a body once it has been read and verified. */
export interface BodyDigests {
  /** Hex MD5 of the body, when Content-MD5 was sent or computeMd5 asked for. */
  md5?: string;
  /** The checksum the client sent (header or trailer), verified. */
  checksum?: SentChecksum;
}

/** Runs every expectation over the body; `digests` is set once finish() passes. */
export class BodyVerifier implements BodyChecks {
  private readonly sha256: Hasher | undefined;
  private readonly md5: Hasher | undefined;
  private checksum: Hasher | undefined;
  private algorithm: ChecksumAlgorithm | undefined;
  /** True when the checksum is computed for the caller, not checked against one sent. */
  private computing = false;
  digests: BodyDigests | undefined;

  constructor(private readonly expect: BodyExpectations) {
    this.sha256 = expect.sha256 === undefined ? undefined : createHasher('SHA256');
    this.md5 = expect.md5 || expect.computeMd5 ? createHasher('MD5') : undefined;
    this.algorithm = expect.checksum?.algorithm ?? expect.trailerChecksum;
    // A SHA256 checksum and a signed SHA-256 payload hash are the same digest: hash once.
    this.checksum =
      this.algorithm === undefined
        ? undefined
        : this.algorithm === 'SHA256' && this.sha256
          ? this.sha256
          : createHasher(this.algorithm);
  }

  /** Computes an `algorithm` checksum of a body that brings none (before it is read). */
  compute(algorithm: ChecksumAlgorithm): void {
    if (this.algorithm !== undefined) return;
    this.algorithm = algorithm;
    this.checksum = createHasher(algorithm);
    this.computing = true;
  }

  update(data: Buffer): void {
    this.sha256?.update(data);
    this.md5?.update(data);
    if (this.checksum !== this.sha256) this.checksum?.update(data);
  }

  finish(trailers: ReadonlyMap<string, string>): void {
    const sha256 = this.sha256?.digest();
    if (sha256 && sha256.toString('hex') !== this.expect.sha256) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, {
        fields: {
          ClientComputedContentSHA256: this.expect.sha256 ?? '',
          S3ComputedContentSHA256: sha256.toString('hex'),
        },
      });
    }
    const md5 = this.md5?.digest();
    if (md5 && this.expect.md5 && !md5.equals(this.expect.md5)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const digests: BodyDigests = md5 ? { md5: md5.toString('hex') } : {};
    if (this.algorithm && this.checksum) {
      const computed =
        (this.checksum === this.sha256 ? sha256 : this.checksum.digest())?.toString('base64') ?? '';
      const sent = this.computing
        ? computed
        : (this.expect.checksum?.value ?? this.trailerValue(this.algorithm, trailers));
      if (computed !== sent) {
        throw new S3Error(
          'BadDigest',
          `The ${this.algorithm} you specified did not match the calculated checksum.`,
        );
      }
      digests.checksum = { algorithm: this.algorithm, value: sent };
    }
    this.digests = digests;
  }

  private trailerValue(algorithm: ChecksumAlgorithm, trailers: ReadonlyMap<string, string>): string {
    const value = trailers.get(checksumHeaderName(algorithm));
    if (value === undefined) {
      throw new S3Error('MalformedTrailerError', `The trailer ${checksumHeaderName(algorithm)} is missing.`);
    }
    checkChecksumValue(algorithm, value, 'trailing header');
    return value;
  }
}
