// Parsing client XML: what the SDK sends, and hostile or broken documents (never anything but MalformedXML).

import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import {
  checkLocationConstraint,
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDelete,
  parsePartNumber,
} from '../../src/s3/xml-parse.js';
import { s3CodeOf as codeOf } from '../helpers/errors.js';
import { sdkRequest } from '../helpers/s3-signers.js';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const part = (n: number | string, etag = `"e${n}"`) =>
  `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;
const complete = (...parts: string[]) =>
  `<CompleteMultipartUpload ${NS}>${parts.join('')}</CompleteMultipartUpload>`;

describe('s3 xml parsing: bodies the AWS SDK sends', () => {
  it('CompleteMultipartUpload with checksums', async () => {
    const request = await sdkRequest((c) =>
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'b',
          Key: 'k',
          UploadId: 'u',
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: '"aaa"', ChecksumCRC32: 'AAAAAA==' },
              { PartNumber: 2, ETag: 'bbb' },
            ],
          },
        }),
      ),
    );
    expect(parseCompleteMultipartUpload(request.body.toString())).to.deep.equal([
      { partNumber: 1, etag: 'aaa', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 2, etag: 'bbb', checksums: {} },
    ]);
  });

  it('DeleteObjects, keys kept exactly', async () => {
    const keys = [' lead', 'trail ', 'a&b<c>"d\'', 'ü 😀', 'line\r\nbreak', 'tab\tx'];
    const request = await sdkRequest((c) =>
      c.send(
        new DeleteObjectsCommand({
          Bucket: 'b',
          Delete: {
            Quiet: true,
            Objects: keys.map((Key, i) => ({ Key, ...(i === 0 ? { VersionId: 'null' } : {}) })),
          },
        }),
      ),
    );
    const parsed = parseDelete(request.body.toString());
    expect(parsed.quiet).to.equal(true);
    expect(parsed.objects.map((o) => o.key)).to.deep.equal(keys);
    expect(parsed.objects[0]?.versionId).to.equal('null');
  });

  it('CreateBucketConfiguration, and an empty body', async () => {
    const request = await sdkRequest((c) =>
      c.send(
        new CreateBucketCommand({
          Bucket: 'b',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      ),
    );
    expect(parseCreateBucketConfiguration(request.body.toString())).to.equal('eu-west-1');
    expect(parseCreateBucketConfiguration('')).to.equal(undefined);
    expect(parseCreateBucketConfiguration('<CreateBucketConfiguration/>')).to.equal(undefined);
  });

  it("checks the LocationConstraint against the gateway's region", () => {
    expect(codeOf(() => checkLocationConstraint(undefined, 'eu-west-1'))).to.equal(undefined);
    expect(codeOf(() => checkLocationConstraint('eu-west-1', 'eu-west-1'))).to.equal(undefined);
    expect(codeOf(() => checkLocationConstraint('us-west-2', 'eu-west-1'))).to.equal(
      'IllegalLocationConstraintException',
    );
  });
});

describe('s3 xml parsing: rules', () => {
  it('accepts unquoted ETags, no namespace, comments, CDATA and whitespace', () => {
    const text = `<?xml version="1.0"?>\n<CompleteMultipartUpload>\n  <!-- c -->\n  <Part><PartNumber> 3 </PartNumber><ETag><![CDATA["x"]]></ETag></Part>\n</CompleteMultipartUpload>`;
    expect(parseCompleteMultipartUpload(text)).to.deep.equal([{ partNumber: 3, etag: 'x', checksums: {} }]);
    expect(parseCompleteMultipartUpload(complete(part(1, '&quot;q&quot;')))[0]?.etag).to.equal('q');
  });

  it('refuses parts out of order or repeated: InvalidPartOrder', () => {
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(2), part(1))))).to.equal(
      'InvalidPartOrder',
    );
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(1), part(1))))).to.equal(
      'InvalidPartOrder',
    );
  });

  it('refuses part numbers outside 1..10000: InvalidArgument', () => {
    for (const n of ['0', '10001', '-1', '1.5', 'x', '', '00001']) {
      expect(
        codeOf(() => parsePartNumber(n)),
        n,
      ).to.equal(n === '00001' ? undefined : 'InvalidArgument');
    }
    expect(parsePartNumber('10000')).to.equal(10000);
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(0))))).to.equal('InvalidArgument');
  });

  it('refuses no parts, a missing ETag, too many parts', () => {
    expect(codeOf(() => parseCompleteMultipartUpload(complete()))).to.equal('MalformedXML');
    expect(
      codeOf(() => parseCompleteMultipartUpload(complete('<Part><PartNumber>1</PartNumber></Part>'))),
    ).to.equal('MalformedXML');
    const many = Array.from({ length: 10001 }, (_, i) => part(i + 1));
    expect(codeOf(() => parseCompleteMultipartUpload(complete(...many)))).to.equal('MalformedXML');
  });

  it('limits Delete to 1000 keys, each with a Key', () => {
    const objects = (n: number) =>
      Array.from({ length: n }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('');
    expect(parseDelete(`<Delete>${objects(1000)}</Delete>`).objects).to.have.length(1000);
    expect(codeOf(() => parseDelete(`<Delete>${objects(1001)}</Delete>`))).to.equal('MalformedXML');
    expect(codeOf(() => parseDelete('<Delete></Delete>'))).to.equal('MalformedXML');
    expect(codeOf(() => parseDelete('<Delete><Object><VersionId>1</VersionId></Object></Delete>'))).to.equal(
      'MalformedXML',
    );
    expect(
      codeOf(() => parseDelete('<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>')),
    ).to.equal('MalformedXML');
    expect(parseDelete('<Delete><Object><Key></Key></Object></Delete>').objects[0]?.key).to.equal('');
    expect(
      parseDelete('<Delete><Object><Key>k</Key><ETag>"e"</ETag></Object></Delete>').objects[0]?.etag,
    ).to.equal('e');
  });

  it('refuses more elements or deeper nesting than a body can need, before parsing it', () => {
    const sums = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'].map(
      (a) => `<Checksum${a}>AAAA</Checksum${a}>`,
    );
    const fullPart = (n: number) =>
      `<Part><PartNumber>${n}</PartNumber><ETag>"e"</ETag>${sums.join('')}</Part>`;
    const most = Array.from({ length: 10_000 }, (_, i) => fullPart(i + 1));
    expect(parseCompleteMultipartUpload(complete(...most))).to.have.length(10_000);
    const junk = '<a/>'.repeat(200_000);
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(1), junk)))).to.equal('MalformedXML');
    const nested = `${'<a>'.repeat(17)}${'</a>'.repeat(17)}`;
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(1), nested)))).to.equal('MalformedXML');
    // Nesting hidden from a naive scan: a `/>` in an attribute value, a `</` in a comment.
    const hidden = `${'<a x="/>">'.repeat(17)}${'</a>'.repeat(17)}`;
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(1), hidden)))).to.equal('MalformedXML');
    const commented = `${'<a><!-- </a> -->'.repeat(17)}${'</a>'.repeat(17)}`;
    expect(codeOf(() => parseCompleteMultipartUpload(complete(part(1), commented)))).to.equal('MalformedXML');
    const object = (i: number) =>
      `<Object><Key>k${i}</Key><VersionId>null</VersionId><ETag>"e"</ETag><LastModifiedTime>t</LastModifiedTime><Size>1</Size></Object>`;
    const objects = Array.from({ length: 1000 }, (_, i) => object(i)).join('');
    expect(parseDelete(`<Delete><Quiet>true</Quiet>${objects}</Delete>`).objects).to.have.length(1000);
    expect(codeOf(() => parseDelete(`<Delete>${objects}${'<a/>'.repeat(10_000)}</Delete>`))).to.equal(
      'MalformedXML',
    );
  });

  const hostile: [string, string][] = [
    [
      'an external entity (XXE)',
      '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>',
    ],
    [
      'a billion laughs',
      `<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><Delete><Object><Key>&j;</Key></Object></Delete>`,
    ],
    ['a doctype without entities', '<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>'],
    ['an undefined entity', '<Delete><Object><Key>&nope;</Key></Object></Delete>'],
    ['unclosed elements', '<Delete><Object><Key>k</Key></Object>'],
    ['mismatched tags', '<Delete><Object><Key>k</Object></Key></Delete>'],
    ['two roots', '<Delete><Object><Key>k</Key></Object></Delete><Delete/>'],
    ['another root', '<Remove><Object><Key>k</Key></Object></Remove>'],
    ['JSON', '{"Objects":[{"Key":"k"}]}'],
    ['binary', '\u0000\u0001\u0002<Delete>'],
    ['nothing', ''],
    ['a repeated Key', '<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>'],
    ['an unbound prefix', '<x:Delete><Object><Key>k</Key></Object></x:Delete>'],
  ];
  for (const [name, text] of hostile) {
    it(`refuses ${name} with MalformedXML`, () => {
      expect(codeOf(() => parseDelete(text))).to.equal('MalformedXML');
    });
  }

  it('survives deep nesting, and refuses elements where text belongs', () => {
    const deep = `<Delete>${'<Object>'.repeat(20_000)}${'</Object>'.repeat(20_000)}</Delete>`;
    expect(codeOf(() => parseDelete(deep))).to.equal('MalformedXML');
    const inKey = `<Delete><Object><Key>${'<a>'.repeat(20_000)}x${'</a>'.repeat(20_000)}</Key></Object></Delete>`;
    expect(codeOf(() => parseDelete(inKey))).to.equal('MalformedXML');
  });
});
