// Conditional requests with S3's precedence, for reads, writes and copy sources.

import { expect } from 'chai';
import {
  copySourceConditions,
  enforceOutcome,
  type ObjectVersion,
  parseEtagList,
  readConditions,
  writeConditions,
} from '../../src/s3/conditional.js';
import { S3Error } from '../../src/s3/errors.js';

const object: ObjectVersion = { etag: '"abc"', lastModified: new Date('2026-01-15T12:00:00.700Z') };
const BEFORE = 'Thu, 15 Jan 2026 11:00:00 GMT';
const SAME = 'Thu, 15 Jan 2026 12:00:00 GMT';
const AFTER = 'Thu, 15 Jan 2026 13:00:00 GMT';

describe('s3 conditional requests', () => {
  it('parses ETag lists: *, quoted, unquoted, weak, commas inside quotes', () => {
    expect(parseEtagList('*')).to.deep.equal({ any: true, tags: [] });
    expect(parseEtagList(' "a" , W/"b",c, "d,e"')).to.deep.equal({
      any: false,
      tags: [
        { weak: false, value: 'a' },
        { weak: true, value: 'b' },
        { weak: false, value: 'c' },
        { weak: false, value: 'd,e' },
      ],
    });
    expect(parseEtagList('"unterminated').tags).to.deep.equal([{ weak: false, value: 'unterminated' }]);
  });

  const reads: [Record<string, string>, string][] = [
    [{}, 'proceed'],
    [{ 'if-match': '"abc"' }, 'proceed'],
    [{ 'if-match': 'abc' }, 'proceed'],
    [{ 'if-match': '"x", "abc"' }, 'proceed'],
    [{ 'if-match': '*' }, 'proceed'],
    [{ 'if-match': '"x"' }, 'precondition-failed'],
    [{ 'if-match': 'W/"abc"' }, 'precondition-failed'], // If-Match compares strongly
    [{ 'if-none-match': '"abc"' }, 'not-modified'],
    [{ 'if-none-match': 'W/"abc"' }, 'not-modified'], // If-None-Match compares weakly
    [{ 'if-none-match': '*' }, 'not-modified'],
    [{ 'if-none-match': '"x"' }, 'proceed'],
    [{ 'if-modified-since': BEFORE }, 'proceed'],
    [{ 'if-modified-since': SAME }, 'not-modified'], // whole seconds: .700 is not after 12:00:00
    [{ 'if-modified-since': AFTER }, 'not-modified'],
    [{ 'if-modified-since': 'not a date' }, 'proceed'],
    [{ 'if-unmodified-since': BEFORE }, 'precondition-failed'],
    [{ 'if-unmodified-since': SAME }, 'proceed'],
    [{ 'if-unmodified-since': 'garbage' }, 'proceed'],
    // S3: If-Match true and If-Unmodified-Since false → 200.
    [{ 'if-match': '"abc"', 'if-unmodified-since': BEFORE }, 'proceed'],
    // S3: If-None-Match false and If-Modified-Since true → 304.
    [{ 'if-none-match': '"abc"', 'if-modified-since': BEFORE }, 'not-modified'],
    // A present If-None-Match that passes makes If-Modified-Since irrelevant.
    [{ 'if-none-match': '"x"', 'if-modified-since': AFTER }, 'proceed'],
    // 412 outranks 304.
    [{ 'if-match': '"x"', 'if-none-match': '"abc"' }, 'precondition-failed'],
    [{ 'if-unmodified-since': BEFORE, 'if-modified-since': AFTER }, 'precondition-failed'],
  ];
  for (const [headers, outcome] of reads) {
    it(`GET ${JSON.stringify(headers)} → ${outcome}`, () => {
      expect(readConditions(headers, object)).to.equal(outcome);
    });
  }

  it('leaves a read of a missing object to the caller (NoSuchKey first)', () => {
    expect(readConditions({ 'if-match': '"x"' }, undefined)).to.equal('proceed');
  });

  const writes: [Record<string, string>, ObjectVersion | undefined, string][] = [
    [{}, object, 'proceed'],
    [{ 'if-none-match': '*' }, undefined, 'proceed'],
    [{ 'if-none-match': '*' }, object, 'precondition-failed'],
    [{ 'if-match': '"abc"' }, object, 'proceed'],
    [{ 'if-match': '"x"' }, object, 'precondition-failed'],
    [{ 'if-match': '"abc"' }, undefined, 'no-such-key'],
    [{ 'if-modified-since': AFTER }, object, 'proceed'], // ignored on writes
  ];
  for (const [headers, current, outcome] of writes) {
    it(`PUT ${JSON.stringify(headers)} on ${current ? 'an object' : 'nothing'} → ${outcome}`, () => {
      expect(writeConditions(headers, current)).to.equal(outcome);
    });
  }

  it('implements If-None-Match on writes only for *', () => {
    expect(() => writeConditions({ 'if-none-match': '"abc"' }, object))
      .to.throw(S3Error)
      .with.property('code', 'NotImplemented');
  });

  const copies: [Record<string, string>, string][] = [
    [{ 'x-amz-copy-source-if-match': '"abc"' }, 'proceed'],
    [{ 'x-amz-copy-source-if-match': '"x"' }, 'precondition-failed'],
    [{ 'x-amz-copy-source-if-none-match': '"abc"' }, 'precondition-failed'],
    [{ 'x-amz-copy-source-if-modified-since': AFTER }, 'precondition-failed'],
    [{ 'x-amz-copy-source-if-unmodified-since': BEFORE }, 'precondition-failed'],
    [{ 'x-amz-copy-source-if-match': '"abc"', 'x-amz-copy-source-if-unmodified-since': BEFORE }, 'proceed'],
    [{ 'x-amz-copy-source-if-none-match': '"x"', 'x-amz-copy-source-if-modified-since': AFTER }, 'proceed'],
    [{ 'if-match': '"x"' }, 'proceed'], // the destination's headers are not the source's
  ];
  for (const [headers, outcome] of copies) {
    it(`copy source ${JSON.stringify(headers)} → ${outcome}`, () => {
      expect(copySourceConditions(headers, object)).to.equal(outcome);
    });
  }

  it('throws what S3 answers: 304 with ETag and Last-Modified, 412, NoSuchKey', () => {
    const thrown = (outcome: Parameters<typeof enforceOutcome>[0]) => {
      try {
        enforceOutcome(outcome, object);
      } catch (err) {
        return err as S3Error;
      }
      return undefined;
    };
    const notModified = thrown('not-modified');
    expect([notModified?.status, notModified?.headers]).to.deep.equal([
      304,
      { ETag: '"abc"', 'Last-Modified': 'Thu, 15 Jan 2026 12:00:00 GMT' },
    ]);
    expect(thrown('precondition-failed')?.status).to.equal(412);
    expect(thrown('no-such-key')?.code).to.equal('NoSuchKey');
    expect(thrown('proceed')).to.equal(undefined);
  });
});
