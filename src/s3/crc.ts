// CRC-32C and CRC-64/NVME in plain JavaScript, slice-by-8 (CRC-32 comes from zlib).

/** Eight 256-entry tables of a reflected 32-bit CRC, one array: table k at offset 256·k. */
function tables32(poly: number): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n] as number;
      t[k * 256 + n] = (prev >>> 8) ^ (t[prev & 0xff] as number);
    }
  }
  return t;
}

const T32C = tables32(0x82f63b78);

/** Incremental CRC-32C (Castagnoli), as S3's `x-amz-checksum-crc32c`. */
export class Crc32c {
  private crc = 0xffffffff;

  update(data: Uint8Array): this {
    const t = T32C;
    let crc = this.crc;
    let i = 0;
    const end8 = data.length - (data.length % 8);
    for (; i < end8; i += 8) {
      const a =
        (crc ^
          ((data[i] as number) |
            ((data[i + 1] as number) << 8) |
            ((data[i + 2] as number) << 16) |
            ((data[i + 3] as number) << 24))) >>>
        0;
      const b =
        (data[i + 4] as number) |
        ((data[i + 5] as number) << 8) |
        ((data[i + 6] as number) << 16) |
        ((data[i + 7] as number) << 24);
      crc =
        (t[1792 + (a & 0xff)] as number) ^
        (t[1536 + ((a >>> 8) & 0xff)] as number) ^
        (t[1280 + ((a >>> 16) & 0xff)] as number) ^
        (t[1024 + (a >>> 24)] as number) ^
        (t[768 + (b & 0xff)] as number) ^
        (t[512 + ((b >>> 8) & 0xff)] as number) ^
        (t[256 + ((b >>> 16) & 0xff)] as number) ^
        (t[(b >>> 24) & 0xff] as number);
    }
    for (; i < data.length; i++) crc = (t[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  /** The CRC as 4 big-endian bytes. */
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, kept as 32-bit halves (no BigInt in the
// hot loop). LO[k·256+n] and HI[k·256+n] are the halves of table k's entry n.
const LO = new Uint32Array(8 * 256);
const HI = new Uint32Array(8 * 256);
{
  const polyLo = 0xac4bc9b5;
  const polyHi = 0x9a6c9329;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const odd = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (odd) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    LO[n] = lo;
    HI[n] = hi;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const lo = LO[(k - 1) * 256 + n] as number;
      const hi = HI[(k - 1) * 256 + n] as number;
      const idx = lo & 0xff;
      LO[k * 256 + n] = (((lo >>> 8) | (hi << 24)) ^ (LO[idx] as number)) >>> 0;
      HI[k * 256 + n] = ((hi >>> 8) ^ (HI[idx] as number)) >>> 0;
    }
  }
}

/** Incremental CRC-64/NVME, as S3's `x-amz-checksum-crc64nvme`. */
export class Crc64Nvme {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    const end8 = data.length - (data.length % 8);
    for (; i < end8; i += 8) {
      const a =
        lo ^
        ((data[i] as number) |
          ((data[i + 1] as number) << 8) |
          ((data[i + 2] as number) << 16) |
          ((data[i + 3] as number) << 24));
      const b =
        hi ^
        ((data[i + 4] as number) |
          ((data[i + 5] as number) << 8) |
          ((data[i + 6] as number) << 16) |
          ((data[i + 7] as number) << 24));
      const i0 = 1792 + (a & 0xff);
      const i1 = 1536 + ((a >>> 8) & 0xff);
      const i2 = 1280 + ((a >>> 16) & 0xff);
      const i3 = 1024 + ((a >>> 24) & 0xff);
      const i4 = 768 + (b & 0xff);
      const i5 = 512 + ((b >>> 8) & 0xff);
      const i6 = 256 + ((b >>> 16) & 0xff);
      const i7 = (b >>> 24) & 0xff;
      lo =
        (LO[i0] as number) ^
        (LO[i1] as number) ^
        (LO[i2] as number) ^
        (LO[i3] as number) ^
        (LO[i4] as number) ^
        (LO[i5] as number) ^
        (LO[i6] as number) ^
        (LO[i7] as number);
      hi =
        (HI[i0] as number) ^
        (HI[i1] as number) ^
        (HI[i2] as number) ^
        (HI[i3] as number) ^
        (HI[i4] as number) ^
        (HI[i5] as number) ^
        (HI[i6] as number) ^
        (HI[i7] as number);
    }
    for (; i < data.length; i++) {
      const idx = (lo ^ (data[i] as number)) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ (LO[idx] as number);
      hi = (hi >>> 8) ^ (HI[idx] as number);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The CRC as 8 big-endian bytes. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

// Combining CRCs (zlib's crc32_combine, for any reflected CRC that starts and ends with all ones):
// the CRC of A·B from the CRCs of A and B and B's length. Polynomials are kept reflected, as the
// CRC registers are (bit width-1 is x^0); BigInt, since this runs once per part, not per byte.
class CrcCombiner {
  private readonly one: bigint;
  /** x^(2^k) mod P for k = 0, 1, … */
  private readonly powers: bigint[] = [];
  /** x^(8·n) mod P by length n: most parts of an upload have one size. */
  private readonly shifts = new Map<number, bigint>();

  constructor(
    private readonly poly: bigint,
    width: number,
  ) {
    this.one = 1n << BigInt(width - 1);
    let p = this.one >> 1n; // x^1
    for (let k = 0; k < 64; k++) {
      this.powers.push(p);
      p = this.multiply(p, p);
    }
  }

  // a·b mod P.
  private multiply(a: bigint, b: bigint): bigint {
    let product = 0n;
    for (let m = this.one; m !== 0n; m >>= 1n) {
      if (a & m) product ^= b;
      b = b & 1n ? (b >> 1n) ^ this.poly : b >> 1n;
    }
    return product;
  }

  // x^(8·bytes) mod P.
  private shift(bytes: number): bigint {
    let p = this.shifts.get(bytes);
    if (p !== undefined) return p;
    p = this.one;
    let n = BigInt(bytes);
    for (let k = 3; n !== 0n; k++, n >>= 1n) if (n & 1n) p = this.multiply(this.powers[k] as bigint, p);
    if (this.shifts.size < 64) this.shifts.set(bytes, p);
    return p;
  }

  /** The CRC of A followed by B. */
  combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
    return this.multiply(this.shift(lengthB), crcA) ^ crcB;
  }
}

const COMBINERS = {
  CRC32: new CrcCombiner(0xedb88320n, 32),
  CRC32C: new CrcCombiner(0x82f63b78n, 32),
  CRC64NVME: new CrcCombiner(0x9a6c9329ac4bc9b5n, 64),
};

/** The CRCs whose values combine into the CRC of the whole (S3's FULL_OBJECT checksum type). */
type CombinableCrc = keyof typeof COMBINERS;

/** The CRC of the parts end to end, from each part's CRC (big-endian bytes) and length. */
export function combineCrcs(algorithm: CombinableCrc, parts: { crc: Buffer; size: number }[]): Buffer {
  const combiner = COMBINERS[algorithm];
  const bytes = algorithm === 'CRC64NVME' ? 8 : 4;
  let crc = 0n;
  for (const part of parts) crc = combiner.combine(crc, BigInt(`0x${part.crc.toString('hex')}`), part.size);
  return Buffer.from(crc.toString(16).padStart(2 * bytes, '0'), 'hex');
}
