// The one check of a node's address, wherever one arrives: a registration, a forward list.

import { DfsError } from './errors.js';

/**
 * A node's URL as a plain `http(s)://host:port` origin: no credentials, path, query or fragment,
 * nothing that could make a daemon contact anything but a node. Returns the origin.
 */
export function nodeOrigin(value: unknown, what = 'node url'): string {
  if (typeof value !== 'string') throw new DfsError('bad_request', `${what} must be a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DfsError('bad_request', `${what} is not a valid URL`);
  }
  const plain =
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    url.pathname === '/';
  if (!plain) throw new DfsError('bad_request', `${what} must be a plain http(s) origin`);
  return url.origin;
}
