// XML bodies of S3's other answers: copies, DeleteObjects, location, ACL, versioning, errors.

import type { S3Error } from './errors.js';
import type { Owner } from './xml-listing.js';
import { el, escapeXml, isoDate, parent, quoteEtag, S3_NAMESPACE, xmlDocument } from './xml-writer.js';

/** Checksums by S3 algorithm name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`), base64. */
export type ChecksumFields = Readonly<Partial<Record<string, string>>>;

/** `<ChecksumCRC32>…</ChecksumCRC32>` and the like. */
export function checksumElements(checksums: ChecksumFields | undefined): string[] {
  return Object.entries(checksums ?? {}).map(([alg, value]) => el(`Checksum${alg}`, value));
}

/** CopyObjectResult (CopyObject) or CopyPartResult (UploadPartCopy). */
export function copyResultXml(
  kind: 'CopyObjectResult' | 'CopyPartResult',
  etag: string,
  lastModified: Date,
  checksums?: ChecksumFields,
): string {
  return xmlDocument(kind, [
    el('ETag', quoteEtag(etag)),
    el('LastModified', isoDate(lastModified)),
    ...checksumElements(checksums),
  ]);
}

/** One key's outcome in DeleteObjects: deleted, or an error code and message. */
export type DeleteOutcome =
  | { key: string; versionId?: string; deleted: true }
  | { key: string; versionId?: string; deleted: false; code: string; message: string };

/** DeleteResult; in quiet mode only the errors are listed, as S3 does. */
export function deleteResultXml(outcomes: readonly DeleteOutcome[], quiet: boolean): string {
  const children: string[] = [];
  for (const o of outcomes) {
    if (o.deleted) {
      if (!quiet) children.push(parent('Deleted', [el('Key', o.key), el('VersionId', o.versionId)]));
    } else {
      children.push(
        parent('Error', [
          el('Key', o.key),
          el('VersionId', o.versionId),
          el('Code', o.code),
          el('Message', o.message),
        ]),
      );
    }
  }
  return xmlDocument('DeleteResult', children);
}

/** GetBucketLocation: an empty element for us-east-1, as S3 answers. */
export function locationXml(region: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (region === 'us-east-1') return `${head}<LocationConstraint xmlns="${S3_NAMESPACE}"/>`;
  return `${head}<LocationConstraint xmlns="${S3_NAMESPACE}">${escapeXml(region)}</LocationConstraint>`;
}

/** AccessControlPolicy granting the owner FULL_CONTROL (the only ACL the gateway has). */
export function ownerAclXml(owner: Owner): string {
  const id = [el('ID', owner.id), el('DisplayName', owner.displayName)];
  return xmlDocument('AccessControlPolicy', [
    parent('Owner', id),
    parent('AccessControlList', [
      parent('Grant', [
        `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${id.join('')}</Grantee>`,
        el('Permission', 'FULL_CONTROL'),
      ]),
    ]),
  ]);
}

/** GetBucketVersioning of a bucket that has never had versioning: an empty configuration. */
/** GetObjectTagging: an empty tag set. */
export function emptyTaggingXml(): string {
  return xmlDocument('Tagging', [parent('TagSet', [])]);
}

export function versioningXml(): string {
  return xmlDocument('VersioningConfiguration', []);
}

/**
 * The error body: Code, Message, the error's extra fields, Resource, RequestId and HostId.
 * It carries no namespace, like S3's.
 */
export function errorXml(
  error: S3Error,
  resource: string | undefined,
  requestId: string,
  hostId: string,
): string {
  // What an error echoes (a key, a header) may hold characters XML 1.0 has no room for, even as
  // references (&#1;, &#65535;): an XML parser would refuse the whole answer, so they are shown
  // as U+FFFD. (A listing writes them as references, as S3 does: its keys must come back exact.)
  const text = (value: string | undefined) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
    value?.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
  const children = [
    el('Code', error.code),
    el('Message', text(error.message)),
    ...Object.entries(error.fields).map(([name, value]) => el(name, text(value))),
    el('Resource', text(error.resource ?? resource)),
    el('RequestId', requestId),
    el('HostId', hostId),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n${parent('Error', children)}`;
}
