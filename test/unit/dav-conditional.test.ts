// HTTP conditions on /dav/: reads (304, 412, If-Range) and writes (412, and the generation a
// commit is pinned to).

import { expect } from 'chai';
import { type Current, writeCondition } from '../../src/dav/conditional.js';
import { DavError } from '../../src/dav/errors.js';
import { parseEtagList, rangeApplies, readCondition } from '../../src/http/conditional.js';

const MODIFIED = Date.UTC(2026, 11, 6, 10, 0, 0, 500);
const current: Current = { etag: '"g7"', generation: 7, modified: MODIFIED };
const httpDate = (ms: number) => new Date(ms).toUTCString();

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DavError);
    return (err as DavError).status;
  }
  return 0;
}

describe('dav conditional requests', () => {
  it('parses entity-tag lists, weak tags and *', () => {
    expect(parseEtagList('"a", W/"b" ,"c,d"')).to.deep.equal(['"a"', 'W/"b"', '"c,d"']);
    expect(parseEtagList('*')).to.deep.equal(['*']);
    expect(parseEtagList('garbage')).to.deep.equal([]);
  });

  describe('reads', () => {
    const cases: [string, Record<string, string>, 'ok' | 304 | 412][] = [
      ['no condition', {}, 'ok'],
      ['If-None-Match naming the version', { 'if-none-match': '"g7"' }, 304],
      ['If-None-Match naming it weakly', { 'if-none-match': 'W/"g7"' }, 304],
      ['If-None-Match naming another', { 'if-none-match': '"g6", "g8"' }, 'ok'],
      ['If-None-Match: *', { 'if-none-match': '*' }, 304],
      ['If-Match naming another', { 'if-match': '"g6"' }, 412],
      ['If-Match naming it weakly (strong comparison)', { 'if-match': 'W/"g7"' }, 412],
      ['If-Match naming it', { 'if-match': '"g1", "g7"' }, 'ok'],
      ['If-Modified-Since the same second', { 'if-modified-since': httpDate(MODIFIED) }, 304],
      ['If-Modified-Since an earlier second', { 'if-modified-since': httpDate(MODIFIED - 1000) }, 'ok'],
      [
        'If-Modified-Since beside If-None-Match (ignored)',
        { 'if-none-match': '"g6"', 'if-modified-since': httpDate(MODIFIED) },
        'ok',
      ],
      ['If-Unmodified-Since an earlier second', { 'if-unmodified-since': httpDate(MODIFIED - 1000) }, 412],
      ['a date that does not parse', { 'if-modified-since': 'yesterday' }, 'ok'],
    ];
    for (const [what, headers, expected] of cases) {
      it(`${what}: ${expected}`, () => {
        expect(readCondition(headers, current)).to.equal(expected);
      });
    }

    it('honours a Range only when If-Range names the current version or its date', () => {
      expect(rangeApplies({}, current)).to.equal(true);
      expect(rangeApplies({ 'if-range': '"g7"' }, current)).to.equal(true);
      expect(rangeApplies({ 'if-range': '"g6"' }, current)).to.equal(false);
      expect(rangeApplies({ 'if-range': 'W/"g7"' }, current)).to.equal(false);
      // A date is no strong validator: the whole file, never a part that may be of another version.
      expect(rangeApplies({ 'if-range': httpDate(MODIFIED) }, current)).to.equal(false);
      expect(rangeApplies({ 'if-range': httpDate(MODIFIED - 5000) }, current)).to.equal(false);
    });
  });

  describe('writes', () => {
    it('is unconditional without If-Match or If-None-Match', () => {
      expect(writeCondition({}, current)).to.equal(undefined);
      expect(writeCondition({}, undefined)).to.equal(undefined);
    });

    it('pins the commit to the version it checked (0: to there being none)', () => {
      expect(writeCondition({ 'if-match': '"g7"' }, current)).to.equal(7);
      expect(writeCondition({ 'if-match': '*' }, current)).to.equal(7);
      expect(writeCondition({ 'if-none-match': '*' }, undefined)).to.equal(0);
      expect(writeCondition({ 'if-none-match': '"g6"' }, current)).to.equal(7);
    });

    it('fails with 412 when the condition does not hold', () => {
      expect(status(() => writeCondition({ 'if-match': '"g6"' }, current))).to.equal(412);
      expect(status(() => writeCondition({ 'if-match': '*' }, undefined))).to.equal(412);
      expect(status(() => writeCondition({ 'if-none-match': '*' }, current))).to.equal(412);
      expect(status(() => writeCondition({ 'if-none-match': 'W/"g7"' }, current))).to.equal(412);
    });

    it('heeds If-Unmodified-Since without If-Match (RFC 9110 §13.1.4), pinning the version it checked', () => {
      const before = { 'if-unmodified-since': httpDate(MODIFIED - 60_000) };
      expect(status(() => writeCondition(before, current))).to.equal(412);
      expect(writeCondition({ 'if-unmodified-since': httpDate(MODIFIED) }, current)).to.equal(7);
      // If-Match decides alone; a date that is no date, or no file to compare with, is ignored.
      expect(writeCondition({ ...before, 'if-match': '"g7"' }, current)).to.equal(7);
      expect(writeCondition({ 'if-unmodified-since': 'yesterday' }, current)).to.equal(7);
      expect(writeCondition(before, undefined)).to.equal(undefined);
    });
  });
});
