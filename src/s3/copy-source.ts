// The source of CopyObject and UploadPartCopy (`x-amz-copy-source`) and the metadata directive.

import { invalidArgument, notImplemented, type S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { checkObjectKey } from './names.js';
import { percentDecode } from './uri.js';

/** A copy's source object. */
export interface CopySource {
  bucket: string;
  key: string;
}

function invalid(
  value: string,
  message = 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
): S3Error {
  return invalidArgument('x-amz-copy-source', value, message);
}

/**
 * Parses `x-amz-copy-source`: `[/]bucket/key[?versionId=null]`, URL-encoded, decoded once.
 * InvalidArgument when malformed; NotImplemented for a version other than `null` or an ARN.
 */
export function parseCopySource(value: string): CopySource {
  let text = value.trim();
  const question = text.indexOf('?');
  if (question >= 0) {
    const query = new URLSearchParams(text.slice(question + 1));
    const versionId = query.get('versionId');
    if (versionId !== null && versionId !== 'null') throw notImplemented('Copying a specific object version');
    text = text.slice(0, question);
  }
  if (text.startsWith('/')) text = text.slice(1);
  const decoded = percentDecode(text);
  if (decoded === undefined)
    throw invalid(value, 'The x-amz-copy-source header is not correctly URL-encoded');
  if (decoded.startsWith('arn:')) throw notImplemented('Copying from an access point or Outposts ARN');
  const slash = decoded.indexOf('/');
  const bucket = decoded.slice(0, Math.max(slash, 0));
  const key = decoded.slice(slash + 1);
  if (slash <= 0 || key === '') throw invalid(value);
  checkObjectKey(key);
  return { bucket, key };
}

/** `x-amz-metadata-directive`: COPY (the default) or REPLACE; InvalidArgument otherwise. */
export function metadataDirective(headers: HeaderMap): 'COPY' | 'REPLACE' {
  const value = headerValue(headers, 'x-amz-metadata-directive')?.trim() ?? 'COPY';
  if (value !== 'COPY' && value !== 'REPLACE') {
    throw invalidArgument('x-amz-metadata-directive', value, 'Unknown metadata directive.');
  }
  return value;
}
