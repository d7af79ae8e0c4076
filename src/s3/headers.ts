// Reading request headers in the shape Node gives them, repeated headers included.

/** Header values by lower-case name, repeated headers as arrays (Node's `req.headersDistinct`). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A header's value (repeats joined by `,`), or undefined when absent. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.length === 0 ? undefined : value.join(',');
}
