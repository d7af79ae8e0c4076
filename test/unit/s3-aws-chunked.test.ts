// The aws-chunked decoder: AWS's examples, tampering, truncation, malformed framing, bounded memory.

import { expect } from 'chai';
import { type AwsChunkedOptions, decodeAwsChunked } from '../../src/s3/aws-chunked.js';
import { BodyVerifier } from '../../src/s3/body-checks.js';
import {
  crc32Base64,
  decoded,
  docBody,
  docSigning,
  drain,
  piecesOf,
  signedBody,
  unsignedBody,
} from '../helpers/s3-chunked.js';

const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
const TRAILER_SIGS = [
  'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
  '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
  '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
];
const TRAILERS =
  'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n';
const DATA = Buffer.alloc(66560, 'a');

const signed: AwsChunkedOptions = { signing: docSigning(SEED), decodedLength: 66560 };
function withTrailer(): AwsChunkedOptions {
  return {
    signing: docSigning(TRAILER_SEED),
    signedTrailer: true,
    decodedLength: 66560,
    trailerNames: ['x-amz-checksum-crc32c'],
    checks: new BodyVerifier({ trailerChecksum: 'CRC32C' }),
  };
}
function unsigned(length: number, crc = true): AwsChunkedOptions {
  return {
    decodedLength: length,
    trailerNames: crc ? ['x-amz-checksum-crc32'] : [],
    checks: new BodyVerifier({ trailerChecksum: crc ? 'CRC32' : undefined }),
  };
}

describe('s3 aws-chunked: AWS examples', () => {
  for (const size of [1, 7, 4096, 66000, 1 << 20]) {
    it(`decodes the signed example fed ${size} bytes at a time`, async () => {
      const data = await decoded(decodeAwsChunked(piecesOf(docBody(SIGS, '\r\n'), size), signed));
      expect(data.equals(DATA)).to.equal(true);
    });
  }

  for (const [form, gap] of [
    ['as documented (a blank line before the trailers)', '\r\n'],
    ['with HTTP chunked framing (no blank line)', ''],
  ]) {
    it(`decodes the signed-trailer example ${form} and checks its CRC32C`, async () => {
      const options = withTrailer();
      const data = await decoded(
        decodeAwsChunked(piecesOf(docBody(TRAILER_SIGS, gap + TRAILERS), 777), options),
      );
      expect(data.equals(DATA)).to.equal(true);
      expect((options.checks as BodyVerifier).digests?.checksum).to.deep.equal({
        algorithm: 'CRC32C',
        value: 'sOO8/Q==',
      });
    });
  }
});

describe('s3 aws-chunked: tampering', () => {
  it('never passes on a byte of a chunk whose signature fails', async () => {
    const first = docBody(SIGS, '\r\n');
    first[200] = 0x62;
    const a = await drain(decodeAwsChunked(piecesOf(first, 4096), signed));
    expect([a.error?.code, a.data.length]).to.deep.equal(['SignatureDoesNotMatch', 0]);
    const second = docBody(SIGS, '\r\n');
    second[second.length - 100] = 0x62;
    const b = await drain(decodeAwsChunked(piecesOf(second, 4096), signed));
    expect([b.error?.code, b.data.length]).to.deep.equal(['SignatureDoesNotMatch', 65536]);
  });

  it('refuses a wrong final signature before releasing the last chunk', async () => {
    const body = docBody([SIGS[0] ?? '', SIGS[1] ?? '', 'c'.repeat(64)], '\r\n');
    const result = await drain(decodeAwsChunked(piecesOf(body, 4096), signed));
    expect([result.error?.code, result.data.length]).to.deep.equal(['SignatureDoesNotMatch', 65536]);
  });

  it('refuses chunks swapped, dropped or replayed', async () => {
    const signing = docSigning(SEED);
    const chunks = [Buffer.alloc(10, 1), Buffer.alloc(10, 2), Buffer.alloc(10, 3)];
    const good = signedBody(signing, chunks);
    expect(
      (await decoded(decodeAwsChunked(piecesOf(good, 5), { signing, decodedLength: 30 }))).length,
    ).to.equal(30);
    // Each framed chunk: `a;chunk-signature=<64 hex>\r\n` + 10 bytes + `\r\n`.
    const frame = (i: number) => good.subarray(96 * i, 96 * (i + 1));
    const end = good.subarray(96 * 3);
    const bodies = {
      swapped: Buffer.concat([frame(1), frame(0), frame(2), end]),
      dropped: Buffer.concat([frame(0), frame(2), end]),
      repeated: Buffer.concat([frame(0), frame(0), frame(2), end]),
    };
    for (const [name, body] of Object.entries(bodies)) {
      const { error, data } = await drain(
        decodeAwsChunked(piecesOf(body, 5), { signing, decodedLength: 30 }),
      );
      expect(error?.code, name).to.equal('SignatureDoesNotMatch');
      expect(data.length, name).to.be.at.most(10);
    }
    // The same body under another seed (a replay onto another request) fails at once.
    const replay = await drain(
      decodeAwsChunked(piecesOf(good, 5), { signing: docSigning(SIGS[0] ?? ''), decodedLength: 30 }),
    );
    expect([replay.error?.code, replay.data.length]).to.deep.equal(['SignatureDoesNotMatch', 0]);
  });

  it('refuses a changed trailer, a changed trailer signature, or none', async () => {
    const cases: [string, string][] = [
      [TRAILERS.replace('sOO8/Q==', 'sOO8/A=='), 'SignatureDoesNotMatch'],
      [TRAILERS.replace('d81f82', 'd81f83'), 'SignatureDoesNotMatch'],
      ['x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n', 'MalformedTrailerError'],
      [
        'x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n',
        'MalformedTrailerError',
      ],
      [`x-amz-meta-evil:1\r\n${TRAILERS}`, 'MalformedTrailerError'],
      [`x-amz-checksum-crc32c:sOO8/Q==\r\n${TRAILERS}`, 'MalformedTrailerError'],
    ];
    for (const [tail, code] of cases) {
      const result = await drain(
        decodeAwsChunked(piecesOf(docBody(TRAILER_SIGS, tail), 4096), withTrailer()),
      );
      expect([result.error?.code, result.data.length], tail).to.deep.equal([code, 65536]);
    }
  });

  it('checks a signed CRC32 trailer against the data: BadDigest', async () => {
    const signing = docSigning(SEED);
    const data = Buffer.from('hello, trailer');
    const options = (): AwsChunkedOptions => ({
      signing,
      signedTrailer: true,
      decodedLength: data.length,
      trailerNames: ['x-amz-checksum-crc32'],
      checks: new BodyVerifier({ trailerChecksum: 'CRC32' }),
    });
    const good = signedBody(signing, [data], new Map([['x-amz-checksum-crc32', crc32Base64(data)]]));
    expect((await decoded(decodeAwsChunked(piecesOf(good, 3), options()))).equals(data)).to.equal(true);
    const wrong = signedBody(
      signing,
      [data],
      new Map([['x-amz-checksum-crc32', crc32Base64(Buffer.from('x'))]]),
    );
    const result = await drain(decodeAwsChunked(piecesOf(wrong, 3), options()));
    expect([result.error?.code, result.data.length]).to.deep.equal(['BadDigest', 0]);
  });

  it('checks an unsigned CRC32 trailer, holding the last piece back until it has', async () => {
    const data = Buffer.alloc(100_000, 7);
    const chunks = [data.subarray(0, 65536), data.subarray(65536)];
    expect(
      (await decoded(decodeAwsChunked(piecesOf(unsignedBody(chunks), 1000), unsigned(100_000)))).equals(data),
    ).to.equal(true);
    const bad = await drain(
      decodeAwsChunked(
        piecesOf(unsignedBody(chunks, crc32Base64(Buffer.from('no'))), 1000),
        unsigned(100_000),
      ),
    );
    expect(bad.error?.code).to.equal('BadDigest');
    expect(bad.data.length).to.be.below(100_000);
    const malformed = await drain(
      decodeAwsChunked(piecesOf(unsignedBody(chunks, 'not base64!'), 1000), unsigned(100_000)),
    );
    expect(malformed.error?.code).to.equal('InvalidRequest');
  });
});

describe('s3 aws-chunked: truncation and malformed framing', () => {
  const body = docBody(SIGS, '\r\n');
  const offsets = new Set<number>();
  for (let i = 0; i < 120; i++) offsets.add(i);
  for (const boundary of [65626, 65628, 65700, 66740, 66820])
    for (let d = -3; d <= 3; d++) offsets.add(boundary + d);
  for (let i = 0; i < 40; i++) offsets.add(Math.floor((i * body.length) / 40));
  offsets.add(body.length - 1);
  // Without its very last CRLF the body is complete and signed: accepted (tested below).
  offsets.delete(body.length - 2);

  it(`ends every truncated body (${offsets.size} cut points) with a 400, never a success or a hang`, async () => {
    for (const cut of offsets) {
      const { error } = await drain(decodeAwsChunked(piecesOf(body.subarray(0, cut), 4096), signed));
      expect(error?.status, `cut at ${cut}`).to.equal(400);
      expect(error?.code, `cut at ${cut}`).to.be.oneOf(['IncompleteBody', 'InvalidRequest']);
    }
  });

  it('accepts a signed body whose final CRLF is missing (all data is signed by then)', async () => {
    expect(
      (await decoded(decodeAwsChunked(piecesOf(body.subarray(0, body.length - 2), 4096), signed))).length,
    ).to.equal(66560);
  });

  const malformed: [string, string, Partial<AwsChunkedOptions>?][] = [
    ['a size that is not hex', 'zz\r\nab\r\n0\r\n\r\n'],
    ['a negative size', '-2\r\nab\r\n0\r\n\r\n'],
    ['a size line of 5000 bytes', `${'0'.repeat(4999)}2\r\nab\r\n0\r\n\r\n`],
    ['data not followed by CRLF', '2\r\nabX\r\n0\r\n\r\n'],
    ['more data than declared', '3\r\nabc\r\n0\r\n\r\n'],
    ['data after the body', '2\r\nab\r\n0\r\n\r\nmore'],
    ['a huge size', 'fffffffffffffff\r\nab\r\n0\r\n\r\n'],
  ];
  for (const [name, text] of malformed) {
    it(`refuses ${name}`, async () => {
      const { error } = await drain(decodeAwsChunked(piecesOf(Buffer.from(text), 3), unsigned(2, false)));
      expect([error?.code, error?.status]).to.deep.equal(['InvalidRequest', 400]);
    });
  }

  it('refuses fewer bytes than x-amz-decoded-content-length', async () => {
    const { error } = await drain(
      decodeAwsChunked(piecesOf(Buffer.from('2\r\nab\r\n0\r\n\r\n'), 3), unsigned(3, false)),
    );
    expect(error?.code).to.equal('IncompleteBody');
  });

  it('refuses unsigned chunks where signed ones are expected, and oversized signed chunks', async () => {
    const { error } = await drain(
      decodeAwsChunked(piecesOf(Buffer.from('2\r\nab\r\n0\r\n\r\n'), 3), { ...signed, decodedLength: 2 }),
    );
    expect(error?.code).to.equal('InvalidRequest');
    const big = await drain(decodeAwsChunked(piecesOf(body, 4096), { ...signed, maxChunkSize: 1024 }));
    expect([big.error?.code, big.data.length]).to.deep.equal(['InvalidRequest', 0]);
  });
});

describe('s3 aws-chunked: memory and cleanup', () => {
  it('streams unsigned chunks holding back at most one source piece', async () => {
    const piece = Buffer.alloc(65536, 1);
    let produced = 0;
    async function* source() {
      yield Buffer.from(`${(64 * piece.length).toString(16)}\r\n`);
      for (let i = 0; i < 64; i++) {
        produced += piece.length;
        yield piece;
      }
      yield Buffer.from('\r\n0\r\n\r\n');
    }
    let received = 0;
    let worstLag = 0;
    for await (const data of decodeAwsChunked(source(), unsigned(64 * piece.length, false))) {
      received += data.length;
      worstLag = Math.max(worstLag, produced - received);
    }
    expect(received).to.equal(64 * piece.length);
    expect(worstLag).to.be.at.most(piece.length);
  });

  it('releases the source when the consumer stops early', async () => {
    let released = false;
    async function* source() {
      try {
        yield Buffer.from('2\r\nab\r\n2\r\ncd\r\n');
        yield Buffer.from('2\r\nef\r\n0\r\n\r\n');
      } finally {
        released = true;
      }
    }
    for await (const _ of decodeAwsChunked(source(), unsigned(6, false))) break;
    expect(released).to.equal(true);
  });
});
