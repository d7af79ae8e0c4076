// Request routing: operations, path- and virtual-hosted-style, refusals, copy sources, ranges.

import { expect } from 'chai';
import { metadataDirective, parseCopySource } from '../../src/s3/copy-source.js';
import type { S3Error } from '../../src/s3/errors.js';
import type { HeaderMap } from '../../src/s3/headers.js';
import { copySourceRange, objectRange } from '../../src/s3/range.js';
import { resolveRoute, type S3Route } from '../../src/s3/route.js';
import { s3CodeOf as codeOf } from '../helpers/errors.js';

function route(method: string, url: string, headers: HeaderMap = {}, domains?: string[]): S3Route {
  return resolveRoute({ method, url, headers: { host: 'gw:5004', ...headers } }, { domains });
}

describe('s3 routing: operations', () => {
  const table: [string, string, string, HeaderMap?][] = [
    ['GET', '/', 'ListBuckets'],
    ['PUT', '/b', 'CreateBucket'],
    ['HEAD', '/b', 'HeadBucket'],
    ['DELETE', '/b/', 'DeleteBucket'],
    ['GET', '/b?location', 'GetBucketLocation'],
    ['GET', '/b?versioning', 'GetBucketVersioning'],
    ['GET', '/b?acl', 'GetBucketAcl'],
    ['PUT', '/b?acl', 'PutBucketAcl'],
    ['GET', '/b', 'ListObjects'],
    ['GET', '/b?prefix=a&delimiter=%2F&marker=m', 'ListObjects'],
    ['GET', '/b/?list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/b?uploads', 'ListMultipartUploads'],
    ['POST', '/b?delete', 'DeleteObjects'],
    ['PUT', '/b/k', 'PutObject'],
    ['PUT', '/b/k?x-id=PutObject', 'PutObject'],
    ['PUT', '/b/k', 'CopyObject', { 'x-amz-copy-source': '/b/src' }],
    ['GET', '/b/k', 'GetObject'],
    ['GET', '/b/k?versionId=null&response-content-type=text%2Fplain', 'GetObject'],
    ['HEAD', '/b/k', 'HeadObject'],
    ['DELETE', '/b/k', 'DeleteObject'],
    ['GET', '/b/k?acl', 'GetObjectAcl'],
    ['PUT', '/b/k?acl', 'PutObjectAcl'],
    ['GET', '/b/k?tagging', 'GetObjectTagging'],
    ['DELETE', '/b/k?tagging', 'DeleteObjectTagging'],
    ['GET', '/b?cors', 'GetBucketConfiguration'],
    ['GET', '/b?policy', 'GetBucketConfiguration'],
    ['GET', '/b?policyStatus', 'GetBucketConfiguration'],
    ['GET', '/b?lifecycle', 'GetBucketConfiguration'],
    ['GET', '/b?website', 'GetBucketConfiguration'],
    ['GET', '/b?tagging', 'GetBucketConfiguration'],
    ['GET', '/b?encryption', 'GetBucketConfiguration'],
    ['GET', '/b?replication', 'GetBucketConfiguration'],
    ['GET', '/b?publicAccessBlock', 'GetBucketConfiguration'],
    ['GET', '/b?object-lock', 'GetBucketConfiguration'],
    ['GET', '/b?ownershipControls', 'GetBucketConfiguration'],
    ['GET', '/b?logging', 'GetBucketConfiguration'],
    ['GET', '/b?notification', 'GetBucketConfiguration'],
    ['GET', '/b?accelerate', 'GetBucketConfiguration'],
    ['GET', '/b?requestPayment', 'GetBucketConfiguration'],
    ['DELETE', '/b?cors', 'DeleteBucketConfiguration'],
    ['DELETE', '/b?policy', 'DeleteBucketConfiguration'],
    ['DELETE', '/b?lifecycle', 'DeleteBucketConfiguration'],
    ['DELETE', '/b?tagging', 'DeleteBucketConfiguration'],
    ['POST', '/b/k?uploads', 'CreateMultipartUpload'],
    ['PUT', '/b/k?partNumber=3&uploadId=u1', 'UploadPart'],
    ['PUT', '/b/k?partNumber=3&uploadId=u1', 'UploadPartCopy', { 'x-amz-copy-source': 'b/src' }],
    ['POST', '/b/k?uploadId=u1', 'CompleteMultipartUpload'],
    ['DELETE', '/b/k?uploadId=u1', 'AbortMultipartUpload'],
    ['GET', '/b/k?uploadId=u1', 'ListParts'],
  ];
  for (const [method, url, operation, headers] of table) {
    it(`${method} ${url}${headers ? ` ${JSON.stringify(headers)}` : ''} → ${operation}`, () => {
      const r = route(method, url, headers);
      expect(r.refusal).to.equal(undefined);
      expect(r.operation).to.equal(operation);
    });
  }

  it('reads bucket, key (decoded once), upload id and part number', () => {
    const r = route('PUT', '/b/dir/a%20b%2Bc+d%25252F/?partNumber=10000&uploadId=x%2By');
    expect([r.bucket, r.key, r.uploadId, r.partNumber]).to.deep.equal([
      'b',
      'dir/a b+c+d%252F/',
      'x+y',
      10000,
    ]);
    expect(route('GET', '/b//a//b/../c').key).to.equal('/a//b/../c');
    expect(route('GET', '/b/%C3%BC%F0%9F%98%80').key).to.equal('ü😀');
    expect(route('GET', '/b/k?prefix=a+b%2Bc').query.get('prefix')).to.equal('a b+c');
  });

  it('resolves virtual-hosted-style requests under a configured domain', () => {
    const domains = ['s3.example.com'];
    const vhost = route('GET', '/a/b.txt', { host: 'my.bucket.s3.example.com:5004' }, domains);
    expect([vhost.bucket, vhost.key, vhost.operation]).to.deep.equal(['my.bucket', 'a/b.txt', 'GetObject']);
    const list = route('GET', '/?list-type=2', { host: 'BKT.S3.EXAMPLE.COM' }, domains);
    expect([list.bucket, list.key, list.operation]).to.deep.equal(['bkt', undefined, 'ListObjectsV2']);
    const path = route('GET', '/bkt/k', { host: 's3.example.com' }, domains);
    expect([path.bucket, path.key]).to.deep.equal(['bkt', 'k']);
    const other = route('GET', '/bkt/k', { host: 'bkt.elsewhere.org' }, domains);
    expect([other.bucket, other.key]).to.deep.equal(['bkt', 'k']);
  });

  it('takes BUCKET.localhost as virtual-hosted-style without --domain; localhost itself as path-style', () => {
    const put = route('PUT', '/newkey', { host: 'bkt1.localhost:5004' });
    expect([put.bucket, put.key, put.operation]).to.deep.equal(['bkt1', 'newkey', 'PutObject']);
    const list = route('GET', '/?list-type=2', { host: 'bkt1.localhost:5004' });
    expect([list.bucket, list.operation]).to.deep.equal(['bkt1', 'ListObjectsV2']);
    const path = route('PUT', '/bkt1/newkey', { host: 'localhost:5004' });
    expect([path.bucket, path.key]).to.deep.equal(['bkt1', 'newkey']);
  });

  it('refuses unreadable targets at once', () => {
    expect(codeOf(() => route('GET', '/b/%zz'))).to.equal('InvalidURI');
    expect(codeOf(() => route('GET', '/b/%C3%28'))).to.equal('InvalidURI');
    expect(codeOf(() => route('GET', '/b/k?prefix=%'))).to.equal('InvalidURI');
    expect(codeOf(() => route('GET', `/b/${'k'.repeat(1025)}`))).to.equal('KeyTooLongError');
    expect(codeOf(() => route('GET', '//k'))).to.equal('InvalidBucketName');
    expect(codeOf(() => route('GET', '*'))).to.equal('InvalidURI');
  });

  it('accepts absolute-form targets and raw UTF-8 in the path', () => {
    expect(route('GET', 'http://gw:5004/b/k?acl').operation).to.equal('GetObjectAcl');
    expect(route('GET', `/b/${Buffer.from('ü').toString('latin1')}`).key).to.equal('ü');
  });
});

describe('s3 routing: refusals answered after authentication', () => {
  const refused: [string, string, string, HeaderMap?][] = [
    ['PUT', '/b?versioning', 'NotImplemented'],
    ['GET', '/b?versions', 'NotImplemented'],
    ['PUT', '/b?lifecycle', 'NotImplemented'],
    ['PUT', '/b?cors', 'NotImplemented'],
    ['PUT', '/b?policy', 'NotImplemented'],
    ['PUT', '/b?tagging', 'NotImplemented'],
    ['DELETE', '/b?object-lock', 'NotImplemented'],
    ['DELETE', '/b?ownershipControls', 'NotImplemented'],
    ['DELETE', '/b?logging', 'NotImplemented'],
    ['PUT', '/b/k?tagging', 'NotImplemented'],
    ['GET', '/b/k?retention', 'NotImplemented'],
    ['GET', '/b/k?legal-hold', 'NotImplemented'],
    ['GET', '/b?analytics', 'NotImplemented'],
    ['GET', '/b?inventory', 'NotImplemented'],
    ['GET', '/b?metrics', 'NotImplemented'],
    ['GET', '/b?intelligent-tiering', 'NotImplemented'],
    ['POST', '/b/k?select&select-type=2', 'NotImplemented'],
    ['POST', '/b/k?restore', 'NotImplemented'],
    ['GET', '/b/k?torrent', 'NotImplemented'],
    ['GET', '/b/k?attributes', 'NotImplemented'],
    ['GET', '/b/k?versionId=3HL4kqtJlcpXroDTDmJ', 'NotImplemented'],
    ['GET', '/b/k?partNumber=1', 'NotImplemented'],
    ['POST', '/b', 'NotImplemented'],
    ['OPTIONS', '/b/k', 'NotImplemented'],
    ['PUT', '/b/k', 'NotImplemented', { 'x-amz-server-side-encryption': 'AES256' }],
    ['GET', '/b/k', 'NotImplemented', { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }],
    ['PUT', '/b/k', 'NotImplemented', { 'x-amz-object-lock-mode': 'GOVERNANCE' }],
    ['PUT', '/b/k', 'NotImplemented', { 'x-amz-tagging': 'a=b' }],
    ['PUT', '/b', 'NotImplemented', { 'x-amz-bucket-object-lock-enabled': 'true' }],
    ['PUT', '/b/k', 'NotImplemented', { 'x-amz-storage-class': 'GLACIER' }],
    ['PUT', '/b/k', 'InvalidStorageClass', { 'x-amz-storage-class': 'COLD' }],
    ['PUT', '/b/k', 'AccessControlListNotSupported', { 'x-amz-acl': 'public-read' }],
    ['PUT', '/b/k?acl', 'AccessControlListNotSupported', { 'x-amz-grant-read': 'uri=x' }],
    ['PATCH', '/b/k', 'MethodNotAllowed'],
    ['POST', '/b/k', 'MethodNotAllowed'],
    ['PUT', '/', 'MethodNotAllowed'],
    ['GET', '/b?delete', 'MethodNotAllowed'],
    ['DELETE', '/b?location', 'MethodNotAllowed'],
    ['PUT', '/b/k?uploadId=u', 'InvalidArgument'],
    ['PUT', '/b/k?uploadId=u&partNumber=0', 'InvalidArgument'],
    ['PUT', '/b/k?partNumber=1', 'InvalidRequest'],
    ['GET', '/b/k?uploadId=', 'NoSuchUpload'],
    ['GET', '/b?list-type=3', 'InvalidArgument'],
  ];
  for (const [method, url, code, headers] of refused) {
    it(`${method} ${url}${headers ? ` ${JSON.stringify(headers)}` : ''} → ${code}`, () => {
      const r = route(method, url, headers);
      expect(r.operation).to.equal('Refused');
      expect(r.refusal?.code).to.equal(code);
    });
  }

  it('names the feature and the resource type', () => {
    expect(route('PUT', '/b?policy').refusal?.message).to.contain('Bucket policies');
    expect(route('PATCH', '/b/k').refusal?.fields).to.deep.equal({ Method: 'PATCH', ResourceType: 'OBJECT' });
    expect(route('PUT', '/b/k', { 'x-amz-acl': 'private' }).operation).to.equal('PutObject');
    expect(
      route('PUT', '/b', {
        'x-amz-acl': 'bucket-owner-full-control',
        'x-amz-object-ownership': 'BucketOwnerEnforced',
      }).operation,
    ).to.equal('CreateBucket');
    expect(route('PUT', '/b/k', { 'x-amz-storage-class': 'STANDARD' }).operation).to.equal('PutObject');
    expect(route('PUT', '/b/k', { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }).operation).to.equal(
      'PutObject',
    );
  });
});

describe('s3 copy sources and ranges', () => {
  it('parses x-amz-copy-source: leading slash or not, URL-encoded, versionId=null', () => {
    expect(parseCopySource('/b/a%20b%2Bc/%C3%BC')).to.deep.equal({ bucket: 'b', key: 'a b+c/ü' });
    expect(parseCopySource('b/k+plus')).to.deep.equal({ bucket: 'b', key: 'k+plus' });
    expect(parseCopySource('b/k%3Fq?versionId=null')).to.deep.equal({ bucket: 'b', key: 'k?q' });
    for (const bad of ['b', '/b/', 'b/', '/k', '', 'b/%zz'])
      expect(
        codeOf(() => parseCopySource(bad)),
        bad,
      ).to.equal('InvalidArgument');
    expect(codeOf(() => parseCopySource('b/k?versionId=abc'))).to.equal('NotImplemented');
    expect(codeOf(() => parseCopySource('arn:aws:s3:us-east-1:1:accesspoint/ap/object/k'))).to.equal(
      'NotImplemented',
    );
    expect(codeOf(() => parseCopySource(`b/${'k'.repeat(1025)}`))).to.equal('KeyTooLongError');
  });

  it('reads the metadata directive', () => {
    expect(metadataDirective({})).to.equal('COPY');
    expect(metadataDirective({ 'x-amz-metadata-directive': 'REPLACE' })).to.equal('REPLACE');
    expect(codeOf(() => metadataDirective({ 'x-amz-metadata-directive': 'replace' }))).to.equal(
      'InvalidArgument',
    );
  });

  it('answers an unsatisfiable Range with InvalidRange, 416 and Content-Range', () => {
    expect(objectRange('bytes=2-5', 10)).to.deep.equal({ start: 2, end: 5 });
    expect(objectRange('bytes=0-1,4-5', 10)).to.equal(undefined);
    let err: S3Error | undefined;
    try {
      objectRange('bytes=10-', 10);
    } catch (e) {
      err = e as S3Error;
    }
    expect([
      err?.code,
      err?.status,
      err?.headers['Content-Range'],
      err?.fields.ActualObjectSize,
    ]).to.deep.equal(['InvalidRange', 416, 'bytes */10', '10']);
  });

  it('reads x-amz-copy-source-range strictly', () => {
    expect(copySourceRange(undefined, 10)).to.equal(undefined);
    expect(copySourceRange('bytes=0-9', 10)).to.deep.equal({ start: 0, end: 9 });
    for (const bad of ['bytes=0-10', 'bytes=5-4', 'bytes=-5', 'bytes=5-', 'items=0-1', 'bytes=0-1,2-3']) {
      expect(
        codeOf(() => copySourceRange(bad, 10)),
        bad,
      ).to.equal('InvalidArgument');
    }
  });
});
