// XML bodies of multipart uploads: initiate, complete, ListMultipartUploads and ListParts.

import { encoder, type Owner, ownerXml, prefixesXml } from './xml-listing.js';
import { el, isoDate, parent, quoteEtag, xmlDocument } from './xml-writer.js';

/** InitiateMultipartUploadResult. */
export function initiateUploadXml(bucket: string, key: string, uploadId: string): string {
  return xmlDocument('InitiateMultipartUploadResult', [
    el('Bucket', bucket),
    el('Key', key),
    el('UploadId', uploadId),
  ]);
}

/** CompleteMultipartUploadResult; `location` is the object's URL, `checksum` the object's if it has one. */
export function completeUploadXml(
  location: string,
  bucket: string,
  key: string,
  etag: string,
  checksum?: { algorithm: string; value: string; type: string },
): string {
  return xmlDocument('CompleteMultipartUploadResult', [
    el('Location', location),
    el('Bucket', bucket),
    el('Key', key),
    el('ETag', quoteEtag(etag)),
    ...(checksum
      ? [el(`Checksum${checksum.algorithm}`, checksum.value), el('ChecksumType', checksum.type)]
      : []),
  ]);
}

// `<ChecksumAlgorithm>` and `<ChecksumType>` of an upload that makes a checksum.
function checksumModeXml(checksum: { algorithm: string; type: string } | undefined): string[] {
  return checksum ? [el('ChecksumAlgorithm', checksum.algorithm), el('ChecksumType', checksum.type)] : [];
}

/** An open multipart upload in ListMultipartUploads. */
export interface UploadEntry {
  key: string;
  uploadId: string;
  initiated: Date;
  /** The checksum the upload makes, if any. */
  checksum?: { algorithm: string; type: string };
}

/** A ListMultipartUploads answer. */
export interface ListUploadsResult {
  bucket: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
  prefix: string;
  delimiter?: string;
  maxUploads: number;
  isTruncated: boolean;
  encodingType?: 'url';
  uploads: readonly UploadEntry[];
  commonPrefixes: readonly string[];
  owner: Owner;
}

/** ListMultipartUploadsResult. */
export function listUploadsXml(result: ListUploadsResult): string {
  const enc = encoder(result.encodingType);
  return xmlDocument('ListMultipartUploadsResult', [
    el('Bucket', result.bucket),
    el('KeyMarker', enc(result.keyMarker)),
    el('UploadIdMarker', result.uploadIdMarker),
    el(
      'NextKeyMarker',
      result.isTruncated && result.nextKeyMarker !== undefined ? enc(result.nextKeyMarker) : '',
    ),
    el('NextUploadIdMarker', result.isTruncated ? (result.nextUploadIdMarker ?? '') : ''),
    result.delimiter ? el('Delimiter', enc(result.delimiter)) : '',
    el('Prefix', enc(result.prefix)),
    el('MaxUploads', result.maxUploads),
    el('EncodingType', result.encodingType),
    el('IsTruncated', result.isTruncated),
    ...result.uploads.map((u) =>
      parent('Upload', [
        el('Key', enc(u.key)),
        el('UploadId', u.uploadId),
        ownerXml('Initiator', result.owner),
        ownerXml('Owner', result.owner),
        el('StorageClass', 'STANDARD'),
        el('Initiated', isoDate(u.initiated)),
        ...checksumModeXml(u.checksum),
      ]),
    ),
    ...prefixesXml(result.commonPrefixes, enc),
  ]);
}

/** A stored part in ListParts; `checksums` maps e.g. `CRC32` to its base64 value. */
export interface PartEntry {
  partNumber: number;
  lastModified: Date;
  etag: string;
  size: number;
  checksums?: Readonly<Record<string, string>>;
}

/** A ListParts answer. */
export interface ListPartsResult {
  bucket: string;
  key: string;
  uploadId: string;
  partNumberMarker: number;
  maxParts: number;
  isTruncated: boolean;
  parts: readonly PartEntry[];
  owner: Owner;
  /** The checksum the upload makes, if any. */
  checksum?: { algorithm: string; type: string };
}

/** ListPartsResult. */
export function listPartsXml(result: ListPartsResult): string {
  return xmlDocument('ListPartsResult', [
    el('Bucket', result.bucket),
    el('Key', result.key),
    el('UploadId', result.uploadId),
    ownerXml('Initiator', result.owner),
    ownerXml('Owner', result.owner),
    el('StorageClass', 'STANDARD'),
    el('PartNumberMarker', result.partNumberMarker),
    el('NextPartNumberMarker', result.parts.at(-1)?.partNumber ?? 0),
    el('MaxParts', result.maxParts),
    el('IsTruncated', result.isTruncated),
    ...checksumModeXml(result.checksum),
    ...result.parts.map((p) =>
      parent('Part', [
        el('PartNumber', p.partNumber),
        el('LastModified', isoDate(p.lastModified)),
        el('ETag', quoteEtag(p.etag)),
        el('Size', p.size),
        ...Object.entries(p.checksums ?? {}).map(([alg, value]) => el(`Checksum${alg}`, value)),
      ]),
    ),
  ]);
}
