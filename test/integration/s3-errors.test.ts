// Every S3 error the gateway promises, with S3's status, XML body and request id, and what it leaves unchanged.

import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { type S3Cluster, startS3Cluster } from '../helpers/s3-cluster.js';
import { codeOf, type RawAnswer, type RawRequest, signedRequest } from '../helpers/s3-raw.js';

const md5b64 = (data: string) => createHash('md5').update(data).digest('base64');

describe('s3 gateway: errors', function () {
  this.timeout(60_000);
  let s3: S3Cluster;
  let client: S3Client;
  const send = (request: RawRequest) => signedRequest(s3.url, request);
  const expectError = (answer: RawAnswer, status: number, code: string) => {
    expect([answer.status, codeOf(answer)], answer.body).to.deep.equal([status, code]);
  };

  before(async () => {
    s3 = await startS3Cluster();
    client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'errs' }));
    await client.send(new PutObjectCommand({ Bucket: 'errs', Key: 'here.txt', Body: 'here' }));
  });
  after(async () => {
    await s3?.close();
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('carries Code, Message, Resource and a RequestId equal to x-amz-request-id', async () => {
    const answer = await send({ path: '/errs/missing.txt' });
    expectError(answer, 404, 'NoSuchKey');
    expect(answer.body).to.match(/<Message>The specified key does not exist.<\/Message>/);
    expect(answer.body).to.include('<Resource>/errs/missing.txt</Resource>');
    expect(answer.body).to.include(`<RequestId>${answer.headers['x-amz-request-id']}</RequestId>`);
    expect(answer.headers['content-type']).to.equal('application/xml');
  });

  it('answers NoSuchBucket, InvalidBucketName, BucketAlreadyExists and MethodNotAllowed', async () => {
    expectError(await send({ path: '/nobucket/x' }), 404, 'NoSuchBucket');
    expectError(await send({ path: '/nobucket' }), 404, 'NoSuchBucket');
    expectError(await send({ method: 'PUT', path: '/nobucket/x', body: 'x' }), 404, 'NoSuchBucket');
    expectError(await send({ method: 'PUT', path: '/Bad_Name' }), 400, 'InvalidBucketName');
    await s3.cluster.sdk.upload([Buffer.from('a root file')], '/rootfile');
    expectError(await send({ method: 'PUT', path: '/rootfile' }), 409, 'BucketAlreadyExists');
    expectError(await send({ method: 'PATCH', path: '/errs/here.txt' }), 405, 'MethodNotAllowed');
    // Nothing was made: a PUT into a missing bucket does not create it as a folder.
    const root = await s3.cluster.sdk.list('/', { delimiter: true });
    expect(root.entries.map((e) => e.name)).to.not.include('nobucket');
  });

  it('refuses keys dfs cannot store as they are, and keys over 1 KiB; finds no object under them', async () => {
    for (const key of ['a//b', './x', 'a/../b', '.', 'x/./y']) {
      const answer = await send({
        method: 'PUT',
        path: `/errs/${key.split('/').map(encodeURIComponent).join('/')}`,
        body: 'x',
      });
      expectError(answer, 400, 'InvalidArgument');
    }
    expectError(
      await send({ method: 'PUT', path: `/errs/${'k'.repeat(1025)}`, body: 'x' }),
      400,
      'KeyTooLongError',
    );
    expectError(
      await send({ method: 'PUT', path: `/errs/${'k'.repeat(300)}`, body: 'x' }),
      400,
      'InvalidArgument',
    );
    // Within S3's 1,024 bytes, past dfs's path limit with its bucket: refused to write, and, as
    // no object can have it, not found to read, nothing to do to delete.
    const long = `${Array(4).fill('k'.repeat(250)).join('/')}/${'k'.repeat(16)}`;
    expect(Buffer.byteLength(long)).to.equal(1020);
    expectError(await send({ method: 'PUT', path: `/errs/${long}`, body: 'x' }), 400, 'KeyTooLongError');
    for (const key of [long, 'a//b', '.', 'x/./y']) {
      const path = `/errs/${key.split('/').map(encodeURIComponent).join('/')}`;
      const read = await send({ path });
      expectError(read, 404, 'NoSuchKey');
      expect((await send({ method: 'HEAD', path })).status).to.equal(404);
      expect((await send({ method: 'DELETE', path })).status, key).to.equal(204);
      expectError(await send({ path: '/no-such-bucket-here/a//b' }), 404, 'NoSuchBucket');
    }
  });

  it('refuses a Content-Type dfs cannot keep before storing any byte of the body', async () => {
    const chunks = () => s3.cluster.nodes.reduce((n, node) => n + node.store.ids().length, 0);
    const before = chunks();
    for (const type of ['foo', 'text/plain;', '*/*', 'image/jpeg; name=a b.jpg']) {
      const answer = await send({
        method: 'PUT',
        path: '/errs/typed.bin',
        headers: { 'content-type': type },
        body: Buffer.alloc(300_000, 7),
      });
      expectError(answer, 400, 'InvalidArgument');
      expect(answer.body, type).to.include('Content-Type');
    }
    expect(chunks()).to.equal(before);
  });

  it('answers InvalidRange with 416 and the object size', async () => {
    const answer = await send({ path: '/errs/here.txt', headers: { range: 'bytes=10-20' } });
    expectError(answer, 416, 'InvalidRange');
    expect(answer.headers['content-range']).to.equal('bytes */4');
  });

  it('evaluates conditional reads (304, 412) and writes (If-None-Match: *, If-Match)', async () => {
    const head = await send({ method: 'HEAD', path: '/errs/here.txt' });
    const etag = head.headers.etag as string;
    const modified = head.headers['last-modified'] as string;
    expect((await send({ path: '/errs/here.txt', headers: { 'if-none-match': etag } })).status).to.equal(304);
    expect(
      (await send({ path: '/errs/here.txt', headers: { 'if-modified-since': modified } })).status,
    ).to.equal(304);
    expectError(
      await send({ path: '/errs/here.txt', headers: { 'if-match': '"nope"' } }),
      412,
      'PreconditionFailed',
    );
    const past = new Date(Date.parse(modified) - 3600_000).toUTCString();
    expectError(
      await send({ path: '/errs/here.txt', headers: { 'if-unmodified-since': past } }),
      412,
      'PreconditionFailed',
    );
    expect((await send({ path: '/errs/here.txt', headers: { 'if-match': etag } })).body).to.equal('here');
    const put = (headers: Record<string, string>) =>
      send({ method: 'PUT', path: '/errs/here.txt', headers, body: 'new' });
    expectError(await put({ 'if-none-match': '*' }), 412, 'PreconditionFailed');
    expectError(await put({ 'if-match': '"0123"' }), 412, 'PreconditionFailed');
    expect((await put({ 'if-match': etag })).status).to.equal(200);
    expect(
      (await send({ method: 'PUT', path: '/errs/fresh.txt', headers: { 'if-none-match': '*' }, body: 'f' }))
        .status,
    ).to.equal(200);
    // The copy-source conditions.
    const copy = await send({
      method: 'PUT',
      path: '/errs/copy.txt',
      headers: { 'x-amz-copy-source': '/errs/here.txt', 'x-amz-copy-source-if-match': '"other"' },
    });
    expectError(copy, 412, 'PreconditionFailed');
  });

  it('verifies Content-MD5 (InvalidDigest, BadDigest) and checksums, and stores nothing that failed', async () => {
    const put = (key: string, headers: Record<string, string>) =>
      send({ method: 'PUT', path: `/errs/${key}`, headers, body: 'payload' });
    expectError(await put('d1', { 'content-md5': 'not-base64!' }), 400, 'InvalidDigest');
    expectError(await put('d2', { 'content-md5': md5b64('other') }), 400, 'BadDigest');
    expectError(await put('d3', { 'x-amz-checksum-crc32': 'AAAAAA==' }), 400, 'BadDigest');
    expectError(
      await put('d4', { 'x-amz-checksum-sha256': createHash('sha256').update('x').digest('base64') }),
      400,
      'BadDigest',
    );
    expectError(await put('d5', { 'x-amz-checksum-crc32c': 'AAAAAA==' }), 400, 'BadDigest');
    expect((await put('d6', { 'content-md5': md5b64('payload') })).status).to.equal(200);
    for (const key of ['d1', 'd2', 'd3', 'd4', 'd5'])
      expect((await send({ method: 'HEAD', path: `/errs/${key}` })).status).to.equal(404);
  });

  it('answers a bucket setting dfs has none of as S3 does for a bucket without it; NoSuchBucket first', async () => {
    const errors: [string, string][] = [
      ['cors', 'NoSuchCORSConfiguration'],
      ['policy', 'NoSuchBucketPolicy'],
      ['lifecycle', 'NoSuchLifecycleConfiguration'],
      ['website', 'NoSuchWebsiteConfiguration'],
      ['tagging', 'NoSuchTagSet'],
      ['encryption', 'ServerSideEncryptionConfigurationNotFoundError'],
      ['replication', 'ReplicationConfigurationNotFoundError'],
      ['publicAccessBlock', 'NoSuchPublicAccessBlockConfiguration'],
      ['object-lock', 'ObjectLockConfigurationNotFoundError'],
    ];
    for (const [sub, code] of errors) {
      const answer = await send({ path: `/errs?${sub}` });
      expectError(answer, 404, code);
      expect(answer.body).to.include('<BucketName>errs</BucketName>');
      expectError(await send({ path: `/no-such-bucket-here?${sub}` }), 404, 'NoSuchBucket');
    }
    const documents: [string, string][] = [
      [
        'logging',
        '<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></BucketLoggingStatus>',
      ],
      ['requestPayment', '<Payer>BucketOwner</Payer>'],
      ['ownershipControls', '<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>'],
      ['notification', '<NotificationConfiguration'],
      ['accelerate', '<AccelerateConfiguration'],
    ];
    for (const [sub, xml] of documents) {
      const answer = await send({ path: `/errs?${sub}` });
      expect(answer.status, sub).to.equal(200);
      expect(answer.body).to.include(xml);
    }
    // Nothing to delete: done. An object's tag set is empty already.
    for (const sub of ['cors', 'policy', 'lifecycle', 'tagging', 'encryption'])
      expect((await send({ method: 'DELETE', path: `/errs?${sub}` })).status, sub).to.equal(204);
    expectError(await send({ method: 'DELETE', path: '/no-such-bucket-here?cors' }), 404, 'NoSuchBucket');
    expect((await send({ method: 'PUT', path: '/errs/tagged.txt', body: 'x' })).status).to.equal(200);
    expect((await send({ method: 'DELETE', path: '/errs/tagged.txt?tagging' })).status).to.equal(204);
    expectError(await send({ method: 'DELETE', path: '/errs/no-such.txt?tagging' }), 404, 'NoSuchKey');
    expect((await send({ method: 'HEAD', path: '/errs/tagged.txt' })).status).to.equal(200);
  });

  it('answers NotImplemented naming what is not supported', async () => {
    const cases: RawRequest[] = [
      { method: 'PUT', path: '/errs?versioning', body: '<VersioningConfiguration/>' },
      { method: 'PUT', path: '/errs?policy', body: '{}' },
      { method: 'PUT', path: '/errs?lifecycle', body: '<LifecycleConfiguration/>' },
      { method: 'PUT', path: '/errs/here.txt?tagging', body: '<Tagging><TagSet/></Tagging>' },
      { method: 'PUT', path: '/errs?object-lock', body: '<ObjectLockConfiguration/>' },
      { path: '/errs?versions' },
      { method: 'POST', path: '/errs', body: 'form' },
      { method: 'PUT', path: '/errs/sse', headers: { 'x-amz-server-side-encryption': 'AES256' }, body: 'x' },
      { path: '/errs/here.txt?versionId=3' },
    ];
    for (const request of cases) {
      const answer = await send(request);
      expectError(answer, 501, 'NotImplemented');
      expect(answer.body).to.match(/<Message>[^<]+ is not implemented by this server<\/Message>/);
    }
    // A browser form upload is signed in its form, never in headers: not a credentials problem.
    const form = new FormData();
    form.append('key', 'via-form.txt');
    form.append('file', new Blob(['hello']), 'via-form.txt');
    const posted = await fetch(`${s3.url}/errs`, { method: 'POST', body: form });
    expect(posted.status).to.equal(501);
    expect(await posted.text()).to.include('<Code>NotImplemented</Code>');
    expect((await send({ method: 'HEAD', path: '/errs/via-form.txt' })).status).to.equal(404);
    expectError(
      await send({ method: 'PUT', path: '/errs/acl', headers: { 'x-amz-acl': 'public-read' }, body: 'x' }),
      400,
      'AccessControlListNotSupported',
    );
  });

  it('answers DeleteObjects of more than 1,000 keys with MalformedXML, and with or without Content-MD5', async () => {
    const body = (n: number) =>
      `<Delete>${Array.from({ length: n }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('')}</Delete>`;
    expectError(await send({ method: 'POST', path: '/errs?delete', body: body(1001) }), 400, 'MalformedXML');
    const ok = await send({
      method: 'POST',
      path: '/errs?delete',
      body: body(1000),
      headers: { 'content-md5': md5b64(body(1000)) },
    });
    expect(ok.status).to.equal(200);
    expect(ok.body.match(/<Deleted>/g)).to.have.length(1000);
    expectError(
      await send({
        method: 'POST',
        path: '/errs?delete',
        body: body(2),
        headers: { 'content-md5': md5b64('x') },
      }),
      400,
      'BadDigest',
    );
  });
});
