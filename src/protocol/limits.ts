// Size limits on what a file carries besides its bytes: the master enforces them, and the S3 and
// WebDAV gateways check the same numbers first to answer in their own protocol's terms.

/** User metadata per file, keys and values together, UTF-8 bytes (as S3 allows). */
export const MAX_METADATA_BYTES = 2048;
/** Protocol attributes per file (S3 headers, WebDAV dead properties), keys and values, UTF-8 bytes. */
export const MAX_ATTRIBUTES_BYTES = 64 * 1024;
/** Longest attribute key, in characters. */
export const MAX_ATTRIBUTE_KEY_CHARS = 512;
