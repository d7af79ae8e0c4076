// XML bodies of the S3 listings: buckets, objects (v1 and v2), multipart uploads and parts.

import { uriEncode } from './uri.js';
import { el, isoDate, parent, quoteEtag, xmlDocument } from './xml-writer.js';

/** The owner every bucket and object reports (the gateway has one). */
export interface Owner {
  id: string;
  displayName: string;
}

/** A bucket in ListBuckets. */
export interface BucketEntry {
  name: string;
  creationDate: Date;
}

/** An object in a listing. */
export interface ObjectEntry {
  key: string;
  lastModified: Date;
  /** Quoted or not; written quoted. */
  etag: string;
  size: number;
  /** Default `STANDARD`. */
  storageClass?: string;
  /** Algorithm of the checksum stored with the object, e.g. `CRC32`, if any. */
  checksumAlgorithm?: string;
}

/** What ListObjects and ListObjectsV2 have in common. */
interface ListingCommon {
  bucket: string;
  prefix: string;
  /** Omitted from the answer when empty, as S3 does. */
  delimiter?: string;
  maxKeys: number;
  isTruncated: boolean;
  /** `url` URL-encodes keys, prefixes, delimiter and markers (S3's `encoding-type=url`). */
  encodingType?: 'url';
  contents: readonly ObjectEntry[];
  commonPrefixes: readonly string[];
  /** Written into each entry: always for v1, only with `fetch-owner=true` for v2. */
  owner?: Owner;
}

/** A ListObjects (v1) answer. */
export interface ListObjectsV1Result extends ListingCommon {
  marker: string;
  nextMarker?: string;
}

/** A ListObjectsV2 answer. */
export interface ListObjectsV2Result extends ListingCommon {
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
}

function ownerXml(name: string, owner: Owner): string {
  return parent(name, [el('ID', owner.id), el('DisplayName', owner.displayName)]);
}

// EncodingType=url: S3 encodes everything outside the unreserved set except `/` (space is %20).
function encoder(encodingType: 'url' | undefined): (text: string) => string {
  return encodingType === 'url' ? (text) => uriEncode(text, true) : (text) => text;
}

function contentsXml(entry: ObjectEntry, enc: (text: string) => string, owner?: Owner): string {
  return parent('Contents', [
    el('Key', enc(entry.key)),
    el('LastModified', isoDate(entry.lastModified)),
    el('ETag', quoteEtag(entry.etag)),
    el('ChecksumAlgorithm', entry.checksumAlgorithm),
    el('Size', entry.size),
    owner ? ownerXml('Owner', owner) : '',
    el('StorageClass', entry.storageClass ?? 'STANDARD'),
  ]);
}

function prefixesXml(prefixes: readonly string[], enc: (text: string) => string): string[] {
  return prefixes.map((prefix) => parent('CommonPrefixes', [el('Prefix', enc(prefix))]));
}

/** ListAllMyBucketsResult. */
export function listBucketsXml(owner: Owner, buckets: readonly BucketEntry[]): string {
  return xmlDocument('ListAllMyBucketsResult', [
    ownerXml('Owner', owner),
    parent(
      'Buckets',
      buckets.map((b) => parent('Bucket', [el('Name', b.name), el('CreationDate', isoDate(b.creationDate))])),
    ),
  ]);
}

/** ListBucketResult of ListObjects (v1). */
export function listObjectsV1Xml(result: ListObjectsV1Result): string {
  const enc = encoder(result.encodingType);
  return xmlDocument('ListBucketResult', [
    el('Name', result.bucket),
    el('Prefix', enc(result.prefix)),
    el('Marker', enc(result.marker)),
    result.nextMarker !== undefined && result.isTruncated ? el('NextMarker', enc(result.nextMarker)) : '',
    el('MaxKeys', result.maxKeys),
    result.delimiter ? el('Delimiter', enc(result.delimiter)) : '',
    el('EncodingType', result.encodingType),
    el('IsTruncated', result.isTruncated),
    ...result.contents.map((entry) => contentsXml(entry, enc, result.owner)),
    ...prefixesXml(result.commonPrefixes, enc),
  ]);
}

/** ListBucketResult of ListObjectsV2; KeyCount counts keys and common prefixes. */
export function listObjectsV2Xml(result: ListObjectsV2Result): string {
  const enc = encoder(result.encodingType);
  return xmlDocument('ListBucketResult', [
    el('Name', result.bucket),
    el('Prefix', enc(result.prefix)),
    el('ContinuationToken', result.continuationToken),
    result.isTruncated ? el('NextContinuationToken', result.nextContinuationToken) : '',
    el('KeyCount', result.contents.length + result.commonPrefixes.length),
    el('MaxKeys', result.maxKeys),
    result.delimiter ? el('Delimiter', enc(result.delimiter)) : '',
    el('EncodingType', result.encodingType),
    el('IsTruncated', result.isTruncated),
    result.startAfter ? el('StartAfter', enc(result.startAfter)) : '',
    ...result.contents.map((entry) => contentsXml(entry, enc, result.owner)),
    ...prefixesXml(result.commonPrefixes, enc),
  ]);
}

/** An open multipart upload in ListMultipartUploads. */
export interface UploadEntry {
  key: string;
  uploadId: string;
  initiated: Date;
  storageClass?: string;
  checksumAlgorithm?: string;
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
        el('StorageClass', u.storageClass ?? 'STANDARD'),
        el('Initiated', isoDate(u.initiated)),
        el('ChecksumAlgorithm', u.checksumAlgorithm),
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
  nextPartNumberMarker?: number;
  maxParts: number;
  isTruncated: boolean;
  parts: readonly PartEntry[];
  owner: Owner;
  storageClass?: string;
  checksumAlgorithm?: string;
}

/** ListPartsResult. */
export function listPartsXml(result: ListPartsResult): string {
  return xmlDocument('ListPartsResult', [
    el('Bucket', result.bucket),
    el('Key', result.key),
    el('UploadId', result.uploadId),
    ownerXml('Initiator', result.owner),
    ownerXml('Owner', result.owner),
    el('StorageClass', result.storageClass ?? 'STANDARD'),
    el('PartNumberMarker', result.partNumberMarker),
    el('NextPartNumberMarker', result.nextPartNumberMarker ?? result.parts.at(-1)?.partNumber ?? 0),
    el('MaxParts', result.maxParts),
    el('IsTruncated', result.isTruncated),
    el('ChecksumAlgorithm', result.checksumAlgorithm),
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
