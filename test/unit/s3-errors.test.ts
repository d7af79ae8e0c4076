// The S3 error table and the XML error body.

import { DOMParser } from '@xmldom/xmldom';
import { expect } from 'chai';
import { isS3ErrorCode, notImplemented, type S3_ERRORS, S3Error, toS3Error } from '../../src/s3/errors.js';
import { errorXml } from '../../src/s3/xml-results.js';

describe('s3 errors', () => {
  const statuses: [string, number][] = [
    ['AccessDenied', 403],
    ['InvalidAccessKeyId', 403],
    ['SignatureDoesNotMatch', 403],
    ['RequestTimeTooSkewed', 403],
    ['AuthorizationHeaderMalformed', 400],
    ['AuthorizationQueryParametersError', 400],
    ['MissingSecurityHeader', 400],
    ['NoSuchBucket', 404],
    ['NoSuchKey', 404],
    ['NoSuchUpload', 404],
    ['BucketAlreadyOwnedByYou', 409],
    ['BucketAlreadyExists', 409],
    ['BucketNotEmpty', 409],
    ['InvalidBucketName', 400],
    ['InvalidArgument', 400],
    ['InvalidRequest', 400],
    ['InvalidRange', 416],
    ['PreconditionFailed', 412],
    ['NotModified', 304],
    ['InvalidDigest', 400],
    ['BadDigest', 400],
    ['XAmzContentSHA256Mismatch', 400],
    ['MalformedXML', 400],
    ['InvalidPart', 400],
    ['InvalidPartOrder', 400],
    ['EntityTooSmall', 400],
    ['EntityTooLarge', 400],
    ['KeyTooLongError', 400],
    ['MetadataTooLarge', 400],
    ['MissingContentLength', 411],
    ['MethodNotAllowed', 405],
    ['NotImplemented', 501],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['SlowDown', 503],
    ['IncompleteBody', 400],
    ['InvalidObjectState', 403],
    ['ExpiredToken', 400],
    ['AccessControlListNotSupported', 400],
  ];
  for (const [code, status] of statuses) {
    it(`${code} is sent with ${status}`, () => {
      expect(isS3ErrorCode(code)).to.equal(true);
      expect(new S3Error(code as keyof typeof S3_ERRORS).status).to.equal(status);
    });
  }

  it('uses S3 default messages unless given one, and keeps fields, headers and cause', () => {
    const cause = new Error('disk on fire');
    const err = new S3Error('NoSuchKey', undefined, {
      fields: { Key: 'a' },
      headers: { 'x-a': 'b' },
      resource: '/b/a',
      cause,
    });
    expect(err.message).to.equal('The specified key does not exist.');
    expect(err.fields).to.deep.equal({ Key: 'a' });
    expect(err.headers).to.deep.equal({ 'x-a': 'b' });
    expect(err.resource).to.equal('/b/a');
    expect(err.cause).to.equal(cause);
    expect(new S3Error('AccessDenied', 'Request has expired').message).to.equal('Request has expired');
  });

  it('names the feature in NotImplemented', () => {
    const err = notImplemented('Bucket policies');
    expect(err.status).to.equal(501);
    expect(err.message).to.contain('Bucket policies');
  });

  it('turns anything else into InternalError, keeping it as the cause', () => {
    const boom = new TypeError('x is undefined');
    const err = toS3Error(boom);
    expect(err.code).to.equal('InternalError');
    expect(err.status).to.equal(500);
    expect(err.cause).to.equal(boom);
    const s3 = new S3Error('SlowDown');
    expect(toS3Error(s3)).to.equal(s3);
    expect(isS3ErrorCode('NoSuchThing')).to.equal(false);
    expect(isS3ErrorCode('toString')).to.equal(false);
  });

  it('renders the error body: Code, Message, fields, Resource, RequestId, HostId, escaped', () => {
    const err = new S3Error('NoSuchKey', 'no <key> & "such"', { fields: { Key: 'a&b' } });
    const xml = errorXml(err, '/bucket/a&b', 'REQ123', 'HOST/+=');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Error>')).to.equal(true);
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    const names: string[] = [];
    for (let n = root?.firstChild; n; n = n.nextSibling) names.push(n.nodeName);
    expect(names).to.deep.equal(['Code', 'Message', 'Key', 'Resource', 'RequestId', 'HostId']);
    const text = (name: string) => root?.getElementsByTagName(name)[0]?.textContent;
    expect(text('Code')).to.equal('NoSuchKey');
    expect(text('Message')).to.equal('no <key> & "such"');
    expect(text('Key')).to.equal('a&b');
    expect(text('Resource')).to.equal('/bucket/a&b');
    expect(text('RequestId')).to.equal('REQ123');
    expect(text('HostId')).to.equal('HOST/+=');
  });

  it('shows characters XML 1.0 cannot hold as U+FFFD, so that every parser reads the error', () => {
    const key = 'nc\uffffkey\u0001\ttab';
    const err = new S3Error('InvalidArgument', `bad key ${key}`, { fields: { ArgumentValue: key } });
    const xml = errorXml(err, `/bucket/${key}`, 'R', 'H');
    expect(xml).to.not.match(/&#(65535|1);/);
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    expect(root?.getElementsByTagName('ArgumentValue')[0]?.textContent).to.equal('nc\ufffdkey\ufffd\ttab');
    expect(root?.getElementsByTagName('Resource')[0]?.textContent).to.equal('/bucket/nc\ufffdkey\ufffd\ttab');
  });

  it("prefers the error's own resource", () => {
    const xml = errorXml(new S3Error('NoSuchBucket', undefined, { resource: '/other' }), '/path', 'R', 'H');
    expect(xml).to.contain('<Resource>/other</Resource>');
  });
});
