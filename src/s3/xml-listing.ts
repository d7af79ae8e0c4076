// XML bodies of the S3 listings of buckets and objects (v1 and v2).

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
  /** Its type: FULL_OBJECT, or COMPOSITE (a multipart upload's checksum of its parts' checksums). */
  checksumType?: string;
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

/** `<name><ID/><DisplayName/></name>`. */
export function ownerXml(name: string, owner: Owner): string {
  return parent(name, [el('ID', owner.id), el('DisplayName', owner.displayName)]);
}

// EncodingType=url: S3 encodes everything outside the unreserved set except `/` (space is %20).
export function encoder(encodingType: 'url' | undefined): (text: string) => string {
  return encodingType === 'url' ? (text) => uriEncode(text, true) : (text) => text;
}

function contentsXml(entry: ObjectEntry, enc: (text: string) => string, owner?: Owner): string {
  return parent('Contents', [
    el('Key', enc(entry.key)),
    el('LastModified', isoDate(entry.lastModified)),
    el('ETag', quoteEtag(entry.etag)),
    el('ChecksumAlgorithm', entry.checksumAlgorithm),
    el('ChecksumType', entry.checksumType),
    el('Size', entry.size),
    owner ? ownerXml('Owner', owner) : '',
    el('StorageClass', entry.storageClass ?? 'STANDARD'),
  ]);
}

/** The CommonPrefixes elements of a listing. */
export function prefixesXml(prefixes: readonly string[], enc: (text: string) => string): string[] {
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
