// ListParts and ListMultipartUploads: open uploads as the master keeps them, paged as S3 pages them.

import { compareUtf8 } from '../protocol/byte-order.js';
import { MAX_MULTIPART_LIST } from '../protocol/limits.js';
import { MAX_PATH_BYTES } from '../protocol/paths.js';
import { invalidArgument, S3Error } from './errors.js';
import { rolledUp } from './listing.js';
import { checksumMade } from './multipart-checksum.js';
import { isFolderKey, objectPath } from './object-paths.js';
import { countParam, encodingTypeParam } from './query-params.js';
import { bucketOf, keyOfRoute, requireBucket, type S3Request, sendXml } from './request.js';
import { findUpload, noSuchUpload } from './uploads.js';
import { listPartsXml, listUploadsXml, type UploadEntry } from './xml-multipart.js';
import { unquoteEtag } from './xml-parse.js';

// Most parts or uploads on one page (larger asks are lowered to it, as S3 does).
const MAX_PAGE = 1000;
// Open uploads of a bucket looked through for one ListMultipartUploads page, from its key
// marker on: one under the master's most per call, which the scan asks for to learn whether
// more lie beyond it.
export const MAX_SCAN = MAX_MULTIPART_LIST - 1;

/** ListParts. */
export async function listParts(request: S3Request): Promise<void> {
  const { bucket } = bucketOf(request);
  const key = keyOfRoute(request);
  const uploadId = request.route.uploadId ?? '';
  const path = isFolderKey(key) ? '' : objectPath(bucket, key);
  const { query } = request.route;
  const marker = countParam(query, 'part-number-marker', 0, Number.MAX_SAFE_INTEGER);
  const max = countParam(query, 'max-parts', MAX_PAGE, MAX_PAGE);
  const upload = await findUpload(request, uploadId);
  if (upload?.info.path !== path) throw noSuchUpload(uploadId);
  const after = upload.parts.filter((p) => p.number > marker);
  const page = after.slice(0, max);
  const checksum = checksumMade(upload.info.attributes);
  sendXml(
    request.ctx,
    listPartsXml({
      bucket,
      key,
      uploadId,
      partNumberMarker: marker,
      maxParts: max,
      isTruncated: after.length > page.length,
      parts: page.map((p) => ({
        partNumber: p.number,
        lastModified: new Date(p.lastModified),
        etag: unquoteEtag(p.etag),
        size: p.size,
        ...(checksum && p.checksum && { checksums: { [checksum.algorithm]: p.checksum } }),
      })),
      checksum,
      owner: request.deps.owner,
    }),
  );
}

/** ListMultipartUploads: by key then initiation, with key and upload-id markers and a delimiter. */
export async function listMultipartUploads(request: S3Request): Promise<void> {
  const { bucket, folder } = await requireBucket(request);
  const { query } = request.route;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const idMarker = query.get('upload-id-marker') ?? '';
  const max = countParam(query, 'max-uploads', MAX_PAGE, MAX_PAGE);
  const encoding = encodingTypeParam(query);
  for (const [name, value] of [
    ['prefix', prefix],
    ['key-marker', keyMarker],
  ] as const)
    if (Buffer.byteLength(`${folder}${value}`) > MAX_PATH_BYTES)
      throw invalidArgument(name, value, `${name} is longer than any key this bucket can hold`);
  // A marker that is a common prefix (the last entry of a rolled-up page) skips every key below
  // it, as S3 does. The scan starts past what the page skips (no key holds U+10FFFF or a control
  // character): past the keys below such a marker; past the marker key without an upload-id
  // marker; else at the marker key, whose uploads the upload-id marker sorts out below.
  const below = rolledUp(keyMarker, prefix, delimiter);
  const after = below ? '\u{10FFFF}' : idMarker === '' && keyMarker !== '' ? '\u0001' : '';
  // One more than the scan reads: whether uploads lie beyond it.
  const found = await request.deps.sdk.api.listMultiparts(`${folder}${prefix}`, MAX_SCAN + 1, {
    signal: request.signal,
    from: `${folder}${keyMarker}${after}`,
  });
  const capped = found.length > MAX_SCAN;
  const open = capped ? found.slice(0, MAX_SCAN) : found;
  let idPassed = false;
  const uploads: UploadEntry[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { key: string; uploadId: string } | undefined;
  for (const u of open) {
    const key = u.path.slice(folder.length);
    // The scan started past these; skipped here too, a page is right whatever the master skipped.
    if (compareUtf8(key, keyMarker) < 0 || (below && key.startsWith(keyMarker))) continue;
    if (key === keyMarker) {
      // With an upload-id-marker, the marker key's uploads after that id; without, none of them.
      if (idMarker === '') continue;
      if (!idPassed) {
        idPassed = u.uploadId === idMarker;
        continue;
      }
    }
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = at >= 0 ? key.slice(0, at + delimiter.length) : undefined;
    if (common !== undefined && prefixes.at(-1) === common) continue;
    if (uploads.length + prefixes.length === max) {
      truncated = true;
      break;
    }
    if (common !== undefined) prefixes.push(common);
    else {
      const checksum = checksumMade(u.attributes ?? {});
      uploads.push({
        key,
        uploadId: u.uploadId,
        initiated: new Date(u.initiated),
        ...(checksum && { checksum }),
      });
    }
    last = { key: common ?? key, uploadId: common === undefined ? u.uploadId : '' };
  }
  // Uploads beyond the scan are not lost in silence: the page is truncated after the last one
  // listed, and the next page's scan starts there. Only more than a scan's worth of uploads of
  // the marker's own key before its upload-id marker leave it nowhere to go: a refusal, not an
  // empty last page.
  if (capped && !truncated) {
    if (last === undefined)
      throw new S3Error(
        'NotImplemented',
        `more than ${MAX_SCAN} open uploads of the key-marker precede its upload-id-marker`,
      );
    truncated = true;
  }
  sendXml(
    request.ctx,
    listUploadsXml({
      bucket,
      keyMarker,
      uploadIdMarker: idMarker,
      nextKeyMarker: last?.key,
      nextUploadIdMarker: last?.uploadId,
      prefix,
      delimiter,
      maxUploads: max,
      isTruncated: truncated,
      encodingType: encoding,
      uploads,
      commonPrefixes: prefixes,
      owner: request.deps.owner,
    }),
  );
}
