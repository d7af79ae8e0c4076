// Reading a WebDAV XML request body (PROPFIND, PROPPATCH, LOCK) with a size bound.

import { badRequest, DavError } from './errors.js';

/**
 * The largest XML body accepted. Real bodies are a few KiB (a PROPPATCH can store at most
 * 64 KiB); the DOM parser spends about 8 µs per element on the event loop, so 256 KiB of
 * empty elements costs ~0.1 s, where 1 MiB cost 0.7 s.
 */
export const MAX_XML_BODY_BYTES = 256 * 1024;

/**
 * Reads a request body as UTF-8 text (a byte-order mark dropped). More than `limit` bytes is a
 * 413, stopped as soon as it is seen; bytes that are not UTF-8 are a 400 (we read no other
 * encoding, whatever an XML declaration says).
 */
export async function readXmlBody(
  source: AsyncIterable<Buffer | string>,
  limit = MAX_XML_BODY_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > limit) throw new DavError(413, `request body is larger than ${limit} bytes`);
    chunks.push(bytes);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (err) {
    throw badRequest('request body is not UTF-8', err);
  }
}
