// Reading request headers in the shape Node gives them, repeated headers included.

/** Header values by lower-case name, repeated headers as arrays (Node's `req.headersDistinct`). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A header's value (repeats joined by `,`), or undefined when absent. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.length === 0 ? undefined : value.join(',');
}

/**
 * The Content-Encoding to store with an object: the request's without `aws-chunked`, which only
 * describes the upload (S3 drops it); undefined when nothing is left.
 */
export function storedContentEncoding(headers: HeaderMap): string | undefined {
  const codings = (headerValue(headers, 'content-encoding') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c.toLowerCase() !== 'aws-chunked');
  return codings.length === 0 ? undefined : codings.join(', ');
}
