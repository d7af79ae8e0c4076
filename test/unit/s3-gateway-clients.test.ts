// The protocol core behind a tiny in-memory gateway, driven over HTTP by the AWS SDK and boto3.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { expect } from 'chai';
import { hasBotocore } from '../helpers/s3-signers.js';
import { startTestGateway, TEST_KEYS, TEST_REGION, type TestGateway } from '../helpers/s3-test-gateway.js';

const [ACCESS_KEY, SECRET_KEY] = Object.entries(TEST_KEYS)[0] as [string, string];

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}

describe('s3 gateway: the AWS SDK for JavaScript over HTTP', () => {
  let gateway: TestGateway;
  let client: S3Client;
  before(async () => {
    gateway = await startTestGateway();
    client = new S3Client({
      endpoint: gateway.url,
      region: TEST_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
  });
  after(async () => {
    client.destroy();
    await gateway.close();
  });
  afterEach(() => expect(gateway.log).to.deep.equal([]));

  const key = "dir/it's a (ü) key+plus 100%.txt";

  it('puts (signed SHA-256 + CRC32 header), gets, ranges and heads an object', async () => {
    const put = await client.send(
      new PutObjectCommand({ Bucket: 'b', Key: key, Body: 'hello world', Metadata: { color: 'blue' } }),
    );
    expect(put.ETag).to.equal(`"${createHash('md5').update('hello world').digest('hex')}"`);
    expect(put.ChecksumCRC32).to.equal('DUoRhQ==');
    const got = await client.send(new GetObjectCommand({ Bucket: 'b', Key: key }));
    expect(await got.Body?.transformToString()).to.equal('hello world');
    expect(got.Metadata).to.deep.equal({ color: 'blue' });
    const range = await client.send(new GetObjectCommand({ Bucket: 'b', Key: key, Range: 'bytes=6-' }));
    expect([await range.Body?.transformToString(), range.ContentRange]).to.deep.equal([
      'world',
      'bytes 6-10/11',
    ]);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'b', Key: key }));
    expect([head.ContentLength, head.ETag]).to.deep.equal([11, put.ETag]);
  });

  it('streams a PutObject as aws-chunked with a CRC32 trailer', async () => {
    const data = Buffer.alloc(300_000, 9);
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'b',
        Key: 'streamed',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    expect(put.ChecksumCRC32).to.be.a('string');
    expect(gateway.objects.get('b/streamed')?.data.equals(data)).to.equal(true);
    expect(gateway.objects.get('b/streamed')?.checksum?.algorithm).to.equal('CRC32');
  });

  it('uploads 12 MiB in parts (Expect: 100-continue) and completes', async () => {
    const data = Buffer.alloc(12 << 20);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
    const done = await new Upload({
      client,
      params: { Bucket: 'b', Key: 'big', Body: Readable.from([data]) },
    }).done();
    expect(done.ETag).to.match(/^"[0-9a-f]{32}-3"$/);
    expect(gateway.objects.get('b/big')?.data.equals(data)).to.equal(true);
  });

  it('answers conditional GETs with 304 and 412', async () => {
    const { ETag } = await client.send(new HeadObjectCommand({ Bucket: 'b', Key: key }));
    const notModified = await failure(
      client.send(new GetObjectCommand({ Bucket: 'b', Key: key, IfNoneMatch: ETag })),
    );
    expect(notModified.$metadata.httpStatusCode).to.equal(304);
    const failed = await failure(
      client.send(new GetObjectCommand({ Bucket: 'b', Key: key, IfMatch: '"other"' })),
    );
    expect([failed.name, failed.$metadata.httpStatusCode]).to.deep.equal(['PreconditionFailed', 412]);
    const put = await failure(
      client.send(new PutObjectCommand({ Bucket: 'b', Key: key, Body: 'x', IfNoneMatch: '*' })),
    );
    expect(put.$metadata.httpStatusCode).to.equal(412);
  });

  it('copies, lists and deletes in bulk', async () => {
    await client.send(
      new CopyObjectCommand({ Bucket: 'b', Key: 'copy', CopySource: `b/${encodeURIComponent(key)}` }),
    );
    expect(gateway.objects.get('b/copy')?.data.toString()).to.equal('hello world');
    const list = await client.send(new ListObjectsV2Command({ Bucket: 'b' }));
    expect(list.Contents?.map((c) => c.Key)).to.deep.equal(['big', 'copy', key, 'streamed']);
    const deleted = await client.send(
      new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'copy' }, { Key: 'big' }] } }),
    );
    expect(deleted.Deleted?.map((d) => d.Key)).to.deep.equal(['copy', 'big']);
    expect(gateway.objects.has('b/copy')).to.equal(false);
  });

  it('surfaces S3 errors by name and status', async () => {
    const missing = await failure(client.send(new GetObjectCommand({ Bucket: 'b', Key: 'nope' })));
    expect([missing.name, missing.$metadata.httpStatusCode]).to.deep.equal(['NoSuchKey', 404]);
    const head = await failure(client.send(new HeadObjectCommand({ Bucket: 'b', Key: 'nope' })));
    expect([head.name, head.$metadata.httpStatusCode]).to.deep.equal(['NotFound', 404]);
    const policy = await failure(client.send(new GetBucketPolicyCommand({ Bucket: 'b' })));
    expect([policy.name, policy.$metadata.httpStatusCode]).to.deep.equal(['NotImplemented', 501]);
    const bucket = await failure(client.send(new GetObjectCommand({ Bucket: 'missing', Key: 'k' })));
    expect(bucket.name).to.equal('NoSuchBucket');
    const wrong = new S3Client({
      endpoint: gateway.url,
      region: TEST_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'wrong' },
    });
    const denied = await failure(wrong.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })));
    expect([denied.name, denied.$metadata.httpStatusCode]).to.deep.equal(['SignatureDoesNotMatch', 403]);
    wrong.destroy();
    expect(gateway.objects.has('b/k')).to.equal(false);
  });
});

const BOTO_SCRIPT = `
import io, json, sys, urllib.error, urllib.request
import boto3, botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
url, key, secret = sys.argv[1:4]
s3 = boto3.client('s3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(s3={'addressing_style': 'path'}))
out = {}
name = 'boto dir/a b+c ü.txt'
out['etag'] = s3.put_object(Bucket='b', Key=name, Body=b'x' * 1000, Metadata={'m': 'v'})['ETag']
out['get'] = s3.get_object(Bucket='b', Key=name)['Body'].read().decode()[:3]
s3.upload_fileobj(io.BytesIO(b'y' * (11 << 20)), 'b', 'boto big',
                  Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))
out['keys'] = [o['Key'] for o in s3.list_objects_v2(Bucket='b', Prefix='boto')['Contents']]
out['deleted'] = [d['Key'] for d in s3.delete_objects(Bucket='b', Delete={'Objects': [{'Key': 'boto big'}]})['Deleted']]
# This botocore presigns with SigV2 unless told otherwise: S3's refusal, then SigV4.
legacy = s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': name}, ExpiresIn=60)
try:
    urllib.request.urlopen(legacy)
except urllib.error.HTTPError as e:
    out['sigv2'] = [e.code, 'Please use AWS4-HMAC-SHA256' in e.read().decode()]
v4 = boto3.client('s3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=key, aws_secret_access_key=secret,
                  config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
presigned = v4.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': name}, ExpiresIn=60)
out['presigned'] = urllib.request.urlopen(presigned).read().decode()[:3]
try:
    s3.head_object(Bucket='b', Key='nope')
except botocore.exceptions.ClientError as e:
    out['head'] = e.response['ResponseMetadata']['HTTPStatusCode']
try:
    s3.get_bucket_lifecycle_configuration(Bucket='b')
except botocore.exceptions.ClientError as e:
    out['lifecycle'] = e.response['Error']['Code']
print(json.dumps(out))
`;

describe('s3 gateway: boto3 over HTTP', () => {
  let gateway: TestGateway;
  before(async function () {
    if (!hasBotocore()) this.skip();
    gateway = await startTestGateway();
  });
  after(async () => gateway?.close());

  it('puts, gets, uploads in parts, lists (url-encoded), deletes, presigns', async () => {
    // Asynchronously: the gateway answering boto3 lives in this very process.
    const { stdout } = await promisify(execFile)(
      '/usr/bin/python3',
      ['-c', BOTO_SCRIPT, gateway.url, ACCESS_KEY, SECRET_KEY],
      {
        env: { ...process.env, BOTO_DISABLE_CRT: 'true' },
      },
    );
    expect(JSON.parse(stdout)).to.deep.equal({
      etag: `"${createHash('md5').update(Buffer.alloc(1000, 'x')).digest('hex')}"`,
      get: 'xxx',
      keys: ['boto big', 'boto dir/a b+c ü.txt'],
      deleted: ['boto big'],
      sigv2: [400, true],
      presigned: 'xxx',
      head: 404,
      lifecycle: 'NotImplemented',
    });
    expect(gateway.log).to.deep.equal([]);
  });
});
