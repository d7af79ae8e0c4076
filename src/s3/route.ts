// Resolving an S3 request to its bucket, key and operation (path-style and virtual-hosted-style).

import { invalidArgument, notImplemented, S3Error } from './errors.js';
import {
  refuseUnsupportedSubresources,
  UNSET_CONFIGURATIONS,
  unsetConfiguration,
  unsupportedHeader,
} from './features.js';
import { type HeaderMap, headerValue } from './headers.js';
import { checkObjectKey } from './names.js';
import { parseRequestTarget, queryMap } from './request-target.js';
import { percentDecode } from './uri.js';
import { parsePartNumber } from './xml-parse.js';

/** Every operation the gateway answers; `Refused` is answered with the route's `refusal`. */
export type Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'GetBucketConfiguration'
  | 'DeleteBucketConfiguration'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'GetObjectTagging'
  | 'DeleteObjectTagging'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Refused';

/** A resolved request. */
export interface S3Route {
  operation: Operation;
  bucket?: string;
  /** Decoded exactly once from the path. */
  key?: string;
  /** The bucket came from the Host header (`bucket.DOMAIN`), not from the path. */
  virtualHost?: boolean;
  /** Query parameters by decoded name. */
  query: ReadonlyMap<string, string>;
  uploadId?: string;
  partNumber?: number;
  /** For `Refused`: the error to answer once the request is authenticated. */
  refusal?: S3Error;
  /**
   * The refusal is answered before SigV4: a browser form upload (a POST to a bucket) is signed
   * in its form fields, which this gateway never reads, so it could only ever look like a
   * credentials problem.
   */
  refuseUnsigned?: boolean;
}

/** How the gateway is addressed. */
export interface RouteOptions {
  /** Domains for virtual-hosted-style requests: `bucket.DOMAIN` (from `--domain`). */
  domains?: readonly string[];
}

/**
 * Always a domain of virtual-hosted-style requests: a client told to address buckets so (boto3's
 * `addressing_style='virtual'`) against `http://localhost:5004` sends `Host: BUCKET.localhost`,
 * and answering it path-style would put its keys in buckets of their names.
 */
const LOCALHOST = 'localhost';

function methodNotAllowed(method: string, resourceType: string): S3Error {
  return new S3Error('MethodNotAllowed', undefined, {
    fields: { Method: method, ResourceType: resourceType },
  });
}

function decodeOnce(text: string): string {
  const decoded = percentDecode(text);
  if (decoded === undefined) throw new S3Error('InvalidURI');
  return decoded;
}

/** The bucket named by the Host header under one of `domains`, if any. */
function hostBucket(headers: HeaderMap, domains: readonly string[]): string | undefined {
  const host = headerValue(headers, 'host')?.trim().toLowerCase().replace(/:\d+$/, '');
  if (!host) return undefined;
  for (const domain of domains) {
    const d = domain.toLowerCase();
    if (host.length > d.length + 1 && host.endsWith(`.${d}`)) return host.slice(0, -(d.length + 1));
  }
  return undefined;
}

/**
 * Resolves `{ bucket, key, operation }` of a request. Throws InvalidURI, InvalidArgument or
 * KeyTooLongError for requests that cannot be read at all; features the gateway lacks and
 * wrong methods come back as `Refused`, so they are answered after authentication.
 */
export function resolveRoute(
  request: { method: string; url: string; headers: HeaderMap },
  options: RouteOptions = {},
): S3Route {
  const target = parseRequestTarget(request.url);
  const query = queryMap(target.params);
  const vhost = hostBucket(request.headers, [...(options.domains ?? []), LOCALHOST]);
  let bucket: string | undefined;
  let key: string | undefined;
  const path = target.rawPath.slice(1);
  if (vhost !== undefined) {
    bucket = vhost;
    key = path === '' ? undefined : decodeOnce(path);
  } else if (path !== '') {
    const slash = path.indexOf('/');
    bucket = decodeOnce(slash < 0 ? path : path.slice(0, slash));
    const rest = slash < 0 ? '' : path.slice(slash + 1);
    key = rest === '' ? undefined : decodeOnce(rest);
    if (bucket === '') throw new S3Error('InvalidBucketName', undefined, { fields: { BucketName: '' } });
  }
  if (key !== undefined) checkObjectKey(key);
  const route: S3Route = { operation: 'Refused', query };
  if (bucket !== undefined) route.bucket = bucket;
  if (vhost !== undefined) route.virtualHost = true;
  if (key !== undefined) route.key = key;
  const method = request.method.toUpperCase();
  try {
    const refusal = unsupportedHeader(request.headers);
    if (refusal) throw refusal;
    if (bucket === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method, 'SERVICE');
      route.operation = 'ListBuckets';
    } else if (key === undefined) {
      route.operation = bucketOperation(method, query);
    } else {
      Object.assign(route, objectOperation(method, query, request.headers));
    }
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    route.operation = 'Refused';
    route.refusal = err;
    if (method === 'POST' && bucket !== undefined && key === undefined && query.size === 0)
      route.refuseUnsigned = true;
  }
  return route;
}

function bucketOperation(method: string, query: ReadonlyMap<string, string>): Operation {
  const only = (operation: Operation, allowed: string): Operation => {
    if (method !== allowed) throw methodNotAllowed(method, 'BUCKET');
    return operation;
  };
  if (query.has('versioning')) {
    if (method === 'PUT') throw notImplemented('Bucket versioning');
    return only('GetBucketVersioning', 'GET');
  }
  const unset = unsetConfiguration(query);
  if (unset !== undefined && method === 'GET') return 'GetBucketConfiguration';
  if (unset !== undefined && method === 'DELETE' && UNSET_CONFIGURATIONS[unset]?.deletable)
    return 'DeleteBucketConfiguration';
  refuseUnsupportedSubresources(query);
  if (query.has('acl')) return method === 'PUT' ? 'PutBucketAcl' : only('GetBucketAcl', 'GET');
  if (query.has('location')) return only('GetBucketLocation', 'GET');
  if (query.has('uploads')) return only('ListMultipartUploads', 'GET');
  if (query.has('delete')) return only('DeleteObjects', 'POST');
  switch (method) {
    case 'GET': {
      const listType = query.get('list-type');
      if (listType === undefined) return 'ListObjects';
      if (listType === '2') return 'ListObjectsV2';
      throw invalidArgument('list-type', listType, 'Invalid List Type specified');
    }
    case 'HEAD':
      return 'HeadBucket';
    case 'PUT':
      return 'CreateBucket';
    case 'DELETE':
      return 'DeleteBucket';
    case 'POST':
      throw notImplemented('Browser-based uploads with POST');
    case 'OPTIONS':
      throw notImplemented('CORS');
    default:
      throw methodNotAllowed(method, 'BUCKET');
  }
}

function objectOperation(
  method: string,
  query: ReadonlyMap<string, string>,
  headers: HeaderMap,
): Pick<S3Route, 'operation' | 'uploadId' | 'partNumber'> {
  const only = (operation: Operation, allowed: string): Operation => {
    if (method !== allowed) throw methodNotAllowed(method, 'OBJECT');
    return operation;
  };
  const versionId = query.get('versionId');
  if (versionId !== undefined && versionId !== 'null') throw notImplemented('Object versioning (versionId)');
  if (query.has('versioning')) throw notImplemented('Bucket versioning');
  // dfs keeps no tags: an object's set reads as empty (aws s3 cp copies it along) and deletes as a
  // set already empty; setting one is not implemented.
  if (query.has('tagging') && method === 'GET') return { operation: 'GetObjectTagging' };
  if (query.has('tagging') && method === 'DELETE') return { operation: 'DeleteObjectTagging' };
  refuseUnsupportedSubresources(query);
  const copy = headerValue(headers, 'x-amz-copy-source') !== undefined;
  if (query.has('acl')) return { operation: method === 'PUT' ? 'PutObjectAcl' : only('GetObjectAcl', 'GET') };
  if (query.has('uploads')) return { operation: only('CreateMultipartUpload', 'POST') };
  const uploadId = query.get('uploadId');
  if (uploadId !== undefined) {
    if (uploadId === '') throw new S3Error('NoSuchUpload');
    switch (method) {
      case 'PUT':
        return {
          operation: copy ? 'UploadPartCopy' : 'UploadPart',
          uploadId,
          partNumber: parsePartNumber(query.get('partNumber')),
        };
      case 'POST':
        return { operation: 'CompleteMultipartUpload', uploadId };
      case 'DELETE':
        return { operation: 'AbortMultipartUpload', uploadId };
      case 'GET':
        return { operation: 'ListParts', uploadId };
      default:
        throw methodNotAllowed(method, 'OBJECT');
    }
  }
  if (query.has('partNumber')) {
    if (method === 'GET' || method === 'HEAD') throw notImplemented('Reading an object by part number');
    throw new S3Error('InvalidRequest', 'partNumber needs an uploadId');
  }
  switch (method) {
    case 'PUT':
      return { operation: copy ? 'CopyObject' : 'PutObject' };
    case 'GET':
      return { operation: 'GetObject' };
    case 'HEAD':
      return { operation: 'HeadObject' };
    case 'DELETE':
      return { operation: 'DeleteObject' };
    case 'OPTIONS':
      throw notImplemented('CORS');
    default:
      throw methodNotAllowed(method, 'OBJECT');
  }
}
