// The If header: every example of RFC 4918 §7.5, §9.9.6, §9.10.8 and §10.4, what is malformed,
// evaluation against resource states, and the tokens a header submits — litmus's cases included.

import { expect } from 'chai';
import { DavError } from '../../src/dav/errors.js';
import {
  evaluateIf,
  type IfHeader,
  parseIfHeader,
  type ResourceState,
  submittedTokens,
} from '../../src/dav/if-header.js';
import { etagsMatch } from '../../src/http/conditional.js';

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';

function state(states: Record<string, ResourceState>) {
  return (tag: string | undefined): ResourceState => states[tag ?? 'request'] ?? { lockTokens: [] };
}

describe('dav If header', () => {
  describe('parseIfHeader: the RFC 4918 examples', () => {
    const examples: [string, string, IfHeader][] = [
      [
        '§7.5.1 tagged list',
        '<http://www.example.com/users/f/fielding/index.html> \n (<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>)',
        {
          lists: [
            {
              tag: 'http://www.example.com/users/f/fielding/index.html',
              conditions: [{ not: false, token: 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6' }],
            },
          ],
        },
      ],
      [
        '§9.9.6 two untagged lists',
        '(<urn:uuid:fe184f2e-6eec-41d0-c765-01adc56e6bb4>) \r\n\t(<urn:uuid:e454f3f3-acdc-452a-56c7-00a5c91e4b77>)',
        {
          lists: [
            { conditions: [{ not: false, token: 'urn:uuid:fe184f2e-6eec-41d0-c765-01adc56e6bb4' }] },
            { conditions: [{ not: false, token: 'urn:uuid:e454f3f3-acdc-452a-56c7-00a5c91e4b77' }] },
          ],
        },
      ],
      [
        '§10.4.6 token and ETag, or another ETag',
        `(<${T1}> ["I am an ETag"]) (["I am another ETag"])`,
        {
          lists: [
            {
              conditions: [
                { not: false, token: T1 },
                { not: false, etag: '"I am an ETag"' },
              ],
            },
            { conditions: [{ not: false, etag: '"I am another ETag"' }] },
          ],
        },
      ],
      [
        '§10.4.7 Not',
        `(Not <${T1}> <${T2}>)`,
        {
          lists: [
            {
              conditions: [
                { not: true, token: T1 },
                { not: false, token: T2 },
              ],
            },
          ],
        },
      ],
      [
        '§10.4.8 always true',
        `(<${T1}>) (Not <DAV:no-lock>)`,
        {
          lists: [
            { conditions: [{ not: false, token: T1 }] },
            { conditions: [{ not: true, token: 'DAV:no-lock' }] },
          ],
        },
      ],
      [
        '§10.4.9 tagged lists in COPY, weak and strong ETags',
        `</resource1> (<${T1}> [W/"A weak ETag"]) (["strong ETag"])`,
        {
          lists: [
            {
              tag: '/resource1',
              conditions: [
                { not: false, token: T1 },
                { not: false, etag: 'W/"A weak ETag"' },
              ],
            },
            { tag: '/resource1', conditions: [{ not: false, etag: '"strong ETag"' }] },
          ],
        },
      ],
      [
        '§10.4.10 a collection lock',
        `<http://www.example.com/specs/> (<${T1}>)`,
        { lists: [{ tag: 'http://www.example.com/specs/', conditions: [{ not: false, token: T1 }] }] },
      ],
      [
        '§10.4.11 Not on an ETag',
        '</specs/rfc2518.doc> (Not ["4217"])',
        { lists: [{ tag: '/specs/rfc2518.doc', conditions: [{ not: true, etag: '"4217"' }] }] },
      ],
      [
        'several tagged resources',
        `<http://a/x> (<${T1}>) <http://a/y> (<${T2}>) (Not <DAV:no-lock>)`,
        {
          lists: [
            { tag: 'http://a/x', conditions: [{ not: false, token: T1 }] },
            { tag: 'http://a/y', conditions: [{ not: false, token: T2 }] },
            { tag: 'http://a/y', conditions: [{ not: true, token: 'DAV:no-lock' }] },
          ],
        },
      ],
      [
        'lower-case not, no spaces between conditions, "]" inside an ETag',
        `(not<${T1}>["a]b"][W/"c"])`,
        {
          lists: [
            {
              conditions: [
                { not: true, token: T1 },
                { not: false, etag: '"a]b"' },
                { not: false, etag: 'W/"c"' },
              ],
            },
          ],
        },
      ],
      [
        'an opaquelocktoken',
        '(<opaquelocktoken:foobar>)',
        { lists: [{ conditions: [{ not: false, token: 'opaquelocktoken:foobar' }] }] },
      ],
    ];
    for (const [what, value, expected] of examples) {
      it(what, () => {
        expect(parseIfHeader(value)).to.deep.equal(expected);
      });
    }
  });

  describe('parseIfHeader: malformed headers are 400', () => {
    const malformed: [string, string][] = [
      ['empty', ''],
      ['only whitespace', '   '],
      ['no parentheses', 'foobar'],
      ['a bare word for a token', '(a)'],
      ['an empty list', '()'],
      ['an empty list among others', `(<${T1}>) () (<${T2}>)`],
      ['a tag without a list', '<http://a/x>'],
      ['two tags in a row', `<http://a/x> <http://a/y> (<${T1}>)`],
      ['a trailing tag', `<http://a/x> (<${T1}>) <http://a/y>`],
      ['untagged then tagged', `(<${T1}>) <http://a/x> (<${T2}>)`],
      ['tagged then untagged', `<http://a/x> (<${T1}>) (<${T2}>) x`],
      ['an unclosed list', `(<${T1}>`],
      ['an unclosed token', `(<${T1})`],
      ['an empty token', '(<>)'],
      ['a space inside a token', '(<urn:uuid:a b>)'],
      ['an unclosed ETag', '(["abc)'],
      ['an ETag with an unclosed quote', '(["abc])'],
      ['an empty ETag', '([])'],
      ['Not Not', `(Not Not <${T1}>)`],
      ['Not alone', '(Not)'],
      ['Not glued to a word', `(Nottoken <${T1}>)`],
    ];
    for (const [what, value] of malformed) {
      it(what, () => {
        try {
          parseIfHeader(value);
          expect.fail(`parsed ${JSON.stringify(value)}`);
        } catch (err) {
          expect(err).to.be.instanceOf(DavError);
          expect((err as DavError).status).to.equal(400);
        }
      });
    }
  });

  describe('evaluateIf', () => {
    const locked = { etag: '"e1"', lockTokens: [T1] };

    it('§10.4.6: a list holds when all its conditions do; the header when any list does', async () => {
      const header = parseIfHeader(`(<${T1}> ["I am an ETag"]) (["I am another ETag"])`);
      expect(
        await evaluateIf(header, state({ request: { etag: '"I am an ETag"', lockTokens: [T1] } })),
      ).to.equal(true);
      expect(
        await evaluateIf(header, state({ request: { etag: '"I am an ETag"', lockTokens: [] } })),
      ).to.equal(false);
      expect(
        await evaluateIf(header, state({ request: { etag: '"I am another ETag"', lockTokens: [] } })),
      ).to.equal(true);
    });

    it('§10.4.7: Not negates one condition', async () => {
      const header = parseIfHeader(`(Not <${T1}> <${T2}>)`);
      expect(await evaluateIf(header, state({ request: { lockTokens: [T2] } }))).to.equal(true);
      expect(await evaluateIf(header, state({ request: { lockTokens: [T1, T2] } }))).to.equal(false);
    });

    it('§10.4.8: (Not <DAV:no-lock>) always holds, even for an unmapped URL', async () => {
      const header = parseIfHeader(`(<${T1}>) (Not <DAV:no-lock>)`);
      expect(await evaluateIf(header, state({}))).to.equal(true);
    });

    it('§10.4.9: tagged lists are checked against the tagged resource, ETags weakly', async () => {
      const header = parseIfHeader(`</resource1> (<${T1}> [W/"A weak ETag"]) (["strong ETag"])`);
      expect(
        await evaluateIf(header, state({ '/resource1': { etag: '"A weak ETag"', lockTokens: [T1] } })),
      ).to.equal(true);
      expect(
        await evaluateIf(header, state({ '/resource1': { etag: '"strong ETag"', lockTokens: [] } })),
      ).to.equal(true);
      expect(
        await evaluateIf(header, state({ request: { etag: '"strong ETag"', lockTokens: [T1] } })),
      ).to.equal(false);
    });

    it('§10.4.11: an unmapped URL has no ETag, so only the Not form holds', async () => {
      expect(await evaluateIf(parseIfHeader('</specs/rfc2518.doc> (["4217"])'), state({}))).to.equal(false);
      expect(await evaluateIf(parseIfHeader('</specs/rfc2518.doc> (Not ["4217"])'), state({}))).to.equal(
        true,
      );
    });

    it('resolves each resource once', async () => {
      const seen: (string | undefined)[] = [];
      const header = parseIfHeader(`<http://a/x> (<${T2}>) (<${T2}> ["x"]) <http://a/y> (["z"]) ([W/"z"])`);
      const result = await evaluateIf(header, async (tag) => {
        seen.push(tag);
        return { lockTokens: [] };
      });
      expect(result).to.equal(false);
      expect(seen).to.deep.equal(['http://a/x', 'http://a/y']);
    });

    describe("litmus' conditional PUTs on a locked resource", () => {
      const cases: [string, string, boolean, string[]][] = [
        ['cond_put', `(<${T1}> ["e1"])`, true, [T1]],
        ['fail_cond_put (412)', '(<DAV:no-lock> ["e1"])', false, ['DAV:no-lock']],
        ['cond_put_with_not', `(<${T1}>) (Not <DAV:no-lock>)`, true, [T1, 'DAV:no-lock']],
        // Holds through its second list, but submits no real token: the PUT gets 423, not 412.
        ['cond_put_corrupt_token', `(<${T1}x>) (Not <DAV:no-lock>)`, true, [`${T1}x`, 'DAV:no-lock']],
        ['complex_cond_put', `(<${T1}> ["e1"]) (Not <DAV:no-lock> ["e1"])`, true, [T1, 'DAV:no-lock']],
        [
          'fail_complex_cond_put (412)',
          `(<${T1}> ["e2"]) (Not <DAV:no-lock> ["e2"])`,
          false,
          [T1, 'DAV:no-lock'],
        ],
      ];
      for (const [name, value, holds, tokens] of cases) {
        it(name, async () => {
          const header = parseIfHeader(value);
          expect(await evaluateIf(header, state({ request: locked }))).to.equal(holds);
          expect(submittedTokens(header)).to.deep.equal(tokens);
        });
      }
    });
  });

  describe('submittedTokens', () => {
    it('counts every token that appears, tagged, untagged or negated (§10.4.1)', () => {
      const header = parseIfHeader(`<http://a/x> (Not <${T1}>) (<${T2}> ["e"]) <http://a/y> (<${T1}>)`);
      expect(submittedTokens(header)).to.deep.equal([T1, T2]);
    });
  });

  describe('etagsMatch', () => {
    it('compares weakly', () => {
      expect(etagsMatch('"a"', '"a"')).to.equal(true);
      expect(etagsMatch('W/"a"', '"a"')).to.equal(true);
      expect(etagsMatch('"a"', 'W/"a"')).to.equal(true);
      expect(etagsMatch('"a"', '"b"')).to.equal(false);
      expect(etagsMatch('"a"', 'a')).to.equal(false);
    });
  });
});
