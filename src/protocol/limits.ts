// Limits the master enforces and the S3 and WebDAV gateways check first, to answer in their own
// protocol's terms: what a file carries besides its bytes, upload ids and multipart uploads.

/** User metadata per file, keys and values together, UTF-8 bytes (as S3 allows). */
export const MAX_METADATA_BYTES = 2048;
/** Protocol attributes per file (S3 headers, WebDAV dead properties), keys and values, UTF-8 bytes. */
export const MAX_ATTRIBUTES_BYTES = 64 * 1024;
/** Longest attribute key, in characters. */
export const MAX_ATTRIBUTE_KEY_CHARS = 512;

/** Most chunks placed by one allocate call. */
export const MAX_ALLOCATE = 1000;

/** The largest chunk size a cluster may have (`--chunk-size`). */
export const MAX_CHUNK_SIZE = 256 * 1024 * 1024;

/** An upload id the master accepts: 8–64 of A-Za-z0-9_- (the SDK's are UUIDs). */
export function isUploadId(value: unknown): value is string {
  return typeof value === 'string' && /^[\w-]{8,64}$/.test(value);
}
/** Most parts a multipart upload may have; also its highest part number (as S3). */
export const MAX_PARTS = 10_000;
/** Most open multipart uploads one listing of the master returns. */
export const MAX_MULTIPART_LIST = 10_000;
