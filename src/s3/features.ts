// Subresources and headers that ask for S3 features the gateway does not have: refused, never ignored.

import { notImplemented, S3Error, type S3ErrorCode } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { el, parent, xmlDocument } from './xml-writer.js';

/** The canned ACLs a bucket with ACLs disabled (S3's default) still accepts. */
const ACCEPTED_ACLS = new Set(['private', 'bucket-owner-full-control']);

/**
 * Storage classes stored as STANDARD: REDUCED_REDUNDANCY (deprecated, asks for less durability
 * than it gets; MinIO accepts it too). Answers report STANDARD.
 */
const ACCEPTED_CLASSES = new Set(['STANDARD', 'REDUCED_REDUNDANCY']);

/** S3's storage classes; the others are refused, not silently given other semantics. */
const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
]);

const FEATURE_HEADERS: readonly [string, string][] = [
  ['x-amz-server-side-encryption-customer-algorithm', 'Server-side encryption with customer keys (SSE-C)'],
  [
    'x-amz-copy-source-server-side-encryption-customer-algorithm',
    'Server-side encryption with customer keys (SSE-C)',
  ],
  ['x-amz-server-side-encryption', 'Server-side encryption'],
  ['x-amz-server-side-encryption-aws-kms-key-id', 'Server-side encryption with KMS'],
  ['x-amz-object-lock-mode', 'Object Lock'],
  ['x-amz-object-lock-retain-until-date', 'Object Lock'],
  ['x-amz-object-lock-legal-hold', 'Object Lock legal holds'],
  ['x-amz-tagging', 'Object tagging'],
  ['x-amz-website-redirect-location', 'Website redirects'],
  ['x-amz-write-offset-bytes', 'Appending to objects'],
];

/**
 * The error for the first header that asks for an unsupported feature, or undefined.
 * Canned ACLs other than private get AccessControlListNotSupported, as from a bucket whose ACLs
 * are disabled; storage classes other than STANDARD and REDUCED_REDUNDANCY get NotImplemented
 * (InvalidStorageClass for names S3 does not know either).
 */
export function unsupportedHeader(headers: HeaderMap): S3Error | undefined {
  for (const [name, feature] of FEATURE_HEADERS) {
    if (headerValue(headers, name) !== undefined) return notImplemented(feature);
  }
  if (headerValue(headers, 'x-amz-bucket-object-lock-enabled')?.trim().toLowerCase() === 'true') {
    return notImplemented('Object Lock');
  }
  const ownership = headerValue(headers, 'x-amz-object-ownership');
  if (ownership !== undefined && ownership.trim() !== 'BucketOwnerEnforced') {
    return notImplemented(`Object ownership ${ownership.trim()}`);
  }
  const acl = headerValue(headers, 'x-amz-acl');
  const grants = Object.keys(headers).some((n) => n.startsWith('x-amz-grant-') && headers[n] !== undefined);
  if ((acl !== undefined && !ACCEPTED_ACLS.has(acl.trim())) || grants) {
    return new S3Error('AccessControlListNotSupported');
  }
  const storageClass = headerValue(headers, 'x-amz-storage-class')?.trim();
  if (storageClass !== undefined && !ACCEPTED_CLASSES.has(storageClass)) {
    return STORAGE_CLASSES.has(storageClass)
      ? notImplemented(`The storage class ${storageClass}`)
      : new S3Error('InvalidStorageClass', undefined, { fields: { StorageClassRequested: storageClass } });
  }
  return undefined;
}

/** Subresources S3 has and the gateway does not, with the feature named in the answer. */
export const UNSUPPORTED_SUBRESOURCES: Readonly<Record<string, string>> = {
  versions: 'Listing object versions',
  policy: 'Bucket policies',
  policyStatus: 'Bucket policies',
  lifecycle: 'Lifecycle configuration',
  cors: 'CORS configuration',
  website: 'Static website hosting',
  tagging: 'Tagging',
  'object-lock': 'Object Lock',
  retention: 'Object Lock retention',
  'legal-hold': 'Object Lock legal holds',
  encryption: 'Bucket encryption configuration',
  replication: 'Replication',
  logging: 'Server access logging',
  notification: 'Event notifications',
  accelerate: 'Transfer acceleration',
  requestPayment: 'Requester pays',
  analytics: 'Storage class analytics',
  inventory: 'S3 Inventory',
  metrics: 'Request metrics',
  'intelligent-tiering': 'Intelligent-Tiering configuration',
  ownershipControls: 'Object ownership controls',
  publicAccessBlock: 'Public access blocks',
  select: 'S3 Select',
  restore: 'Restoring archived objects',
  torrent: 'BitTorrent',
  attributes: 'GetObjectAttributes',
  session: 'CreateSession (directory buckets)',
  renameObject: 'RenameObject',
  metadataTable: 'S3 Metadata',
  metadataConfiguration: 'S3 Metadata',
};

/**
 * Bucket settings dfs has none of (it does nothing they would set): a GET is answered as S3
 * answers it for a bucket without one, with its "no such configuration" error or the document
 * of nothing set, and a DELETE of one (`deletable`) has nothing to remove. Setting one is
 * NotImplemented (UNSUPPORTED_SUBRESOURCES).
 */
export const UNSET_CONFIGURATIONS: Readonly<
  Record<string, { none: S3ErrorCode | (() => string); deletable?: boolean }>
> = {
  cors: { none: 'NoSuchCORSConfiguration', deletable: true },
  policy: { none: 'NoSuchBucketPolicy', deletable: true },
  policyStatus: { none: 'NoSuchBucketPolicy' },
  lifecycle: { none: 'NoSuchLifecycleConfiguration', deletable: true },
  website: { none: 'NoSuchWebsiteConfiguration', deletable: true },
  tagging: { none: 'NoSuchTagSet', deletable: true },
  encryption: { none: 'ServerSideEncryptionConfigurationNotFoundError', deletable: true },
  replication: { none: 'ReplicationConfigurationNotFoundError', deletable: true },
  publicAccessBlock: { none: 'NoSuchPublicAccessBlockConfiguration', deletable: true },
  'object-lock': { none: 'ObjectLockConfigurationNotFoundError' },
  // ACLs are disabled, the object writer's bucket owning every object: S3's default.
  ownershipControls: {
    none: () =>
      xmlDocument('OwnershipControls', [parent('Rule', [el('ObjectOwnership', 'BucketOwnerEnforced')])]),
  },
  logging: { none: () => xmlDocument('BucketLoggingStatus', []) },
  notification: { none: () => xmlDocument('NotificationConfiguration', []) },
  accelerate: { none: () => xmlDocument('AccelerateConfiguration', []) },
  requestPayment: { none: () => xmlDocument('RequestPaymentConfiguration', [el('Payer', 'BucketOwner')]) },
};

/** The bucket setting of UNSET_CONFIGURATIONS that `query` names, if any. */
export function unsetConfiguration(query: ReadonlyMap<string, string>): string | undefined {
  for (const name of query.keys()) if (Object.hasOwn(UNSET_CONFIGURATIONS, name)) return name;
  return undefined;
}

/** Throws NotImplemented naming the feature of the first unsupported subresource in `query`. */
export function refuseUnsupportedSubresources(query: ReadonlyMap<string, string>): void {
  for (const name of query.keys()) {
    const feature = UNSUPPORTED_SUBRESOURCES[name];
    if (feature !== undefined) throw notImplemented(feature);
  }
}
