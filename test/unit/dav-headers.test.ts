// Depth, Overwrite, Lock-Token, Timeout and Destination headers; hrefs that round-trip awkward
// names; and the small client-quirk rules.

import { expect } from 'chai';
import { DavError } from '../../src/dav/errors.js';
import {
  assertFiniteDepth,
  type DepthMethod,
  parseDepth,
  parseLockToken,
  parseOverwrite,
  parseTimeout,
} from '../../src/dav/headers.js';
import { parseDestination, pathToHref, requestPath, urlToPath } from '../../src/dav/href.js';
import { declaredLength, isMacMetadataFile, isWindowsFileProp, WINDOWS_NS } from '../../src/dav/quirks.js';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(DavError);
    return (err as DavError).status;
  }
}

describe('dav headers', () => {
  describe('parseDepth', () => {
    const cases: [DepthMethod, string | undefined, 0 | 1 | 'infinity' | 400][] = [
      ['PROPFIND', undefined, 'infinity'],
      ['PROPFIND', '0', 0],
      ['PROPFIND', ' 1 ', 1],
      ['PROPFIND', 'infinity', 'infinity'],
      ['PROPFIND', 'Infinity', 'infinity'],
      ['PROPFIND', '2', 400],
      ['PROPFIND', 'one', 400],
      ['COPY', undefined, 'infinity'],
      ['COPY', '0', 0],
      ['COPY', '1', 400],
      ['MOVE', 'infinity', 'infinity'],
      ['MOVE', '0', 400],
      ['DELETE', undefined, 'infinity'],
      ['DELETE', '1', 400],
      ['LOCK', '0', 0],
      ['LOCK', '', 'infinity'],
      ['LOCK', '1', 400],
    ];
    for (const [method, value, expected] of cases) {
      it(`${method} with Depth ${JSON.stringify(value)} → ${expected}`, () => {
        if (expected === 400) expect(statusOf(() => parseDepth(value, method))).to.equal(400);
        else expect(parseDepth(value, method)).to.equal(expected);
      });
    }

    it('refuses a PROPFIND of infinite depth with 403 propfind-finite-depth', () => {
      expect(() => assertFiniteDepth(1)).to.not.throw();
      try {
        assertFiniteDepth(parseDepth(undefined, 'PROPFIND'));
        expect.fail('accepted infinity');
      } catch (err) {
        expect((err as DavError).status).to.equal(403);
        expect((err as DavError).condition).to.deep.equal({ name: 'propfind-finite-depth' });
      }
    });
  });

  describe('parseOverwrite', () => {
    it('reads T and F, T when absent, and refuses anything else', () => {
      expect(parseOverwrite(undefined)).to.equal(true);
      expect(parseOverwrite('T')).to.equal(true);
      expect(parseOverwrite('F')).to.equal(false);
      expect(parseOverwrite(' f ')).to.equal(false);
      expect(statusOf(() => parseOverwrite('yes'))).to.equal(400);
      expect(statusOf(() => parseOverwrite(''))).to.equal(400);
    });
  });

  describe('parseLockToken', () => {
    it('reads <token>, and a bare token', () => {
      expect(parseLockToken('<urn:uuid:a-b>')).to.equal('urn:uuid:a-b');
      expect(parseLockToken(' < opaquelocktoken:x > ')).to.equal('opaquelocktoken:x');
      expect(parseLockToken('urn:uuid:a-b')).to.equal('urn:uuid:a-b');
    });

    it('refuses a missing, empty or spaced token', () => {
      for (const value of [undefined, '', '<>', '<a b>', 'a b', '<a']) {
        expect(
          statusOf(() => parseLockToken(value)),
          String(value),
        ).to.equal(400);
      }
    });
  });

  describe('parseTimeout', () => {
    const cases: [string | undefined, number][] = [
      [undefined, 600],
      ['', 600],
      ['Second-3600', 3600],
      ['Second-30', 30],
      ['second-30', 30],
      ['Second-4100000000', 3600],
      ['Infinite, Second-4100000000', 3600],
      ['infinite', 3600],
      ['Second-0', 1],
      ['Extend-99, Second-45', 45],
      ['Second-abc', 600],
      ['Second--5', 600],
      ['Second-99999999999999999999', 600],
    ];
    for (const [value, expected] of cases) {
      it(`${JSON.stringify(value)} → ${expected} s`, () => {
        expect(parseTimeout(value)).to.equal(expected);
      });
    }

    it('honours other limits', () => {
      expect(parseTimeout('Infinite', { max: 60, fallback: 10 })).to.equal(60);
      expect(parseTimeout(undefined, { max: 60, fallback: 10 })).to.equal(10);
    });
  });

  describe('hrefs', () => {
    const awkward = [
      'plain',
      'a b',
      'ünïcødé',
      '日本語 ファイル.txt',
      '🚀 rocket',
      '100%',
      '%20 literal',
      '%2F not a slash',
      'a#b',
      'a?b=c',
      'a&b',
      "it's",
      'a+b',
      'a;b',
      'a=b,c',
      '@:$!*()~',
      '[brackets]',
      '"quoted" <angle>',
      'back`tick^{|}',
      '.hidden',
      '._AppleDouble',
      ' leading and trailing ',
    ];
    for (const name of awkward) {
      it(`round-trips ${JSON.stringify(name)} through an href`, () => {
        const path = `/folder x/${name}`;
        const href = pathToHref(path, false);
        expect(href).to.match(/^\/dav\/[A-Za-z0-9\-_.!~*'()%/]+$/);
        expect(requestPath(href)).to.equal(path);
        expect(requestPath(`${pathToHref(path, true)}?x=1`)).to.equal(path);
      });
    }

    it('encodes the characters that would break a URL, upper-case and UTF-8', () => {
      expect(pathToHref('/a b/c#d?e%f+g;h&i', false)).to.equal('/dav/a%20b/c%23d%3Fe%25f%2Bg%3Bh%26i');
      expect(pathToHref('/é', false)).to.equal('/dav/%C3%A9');
    });

    it('ends collections with a slash, the root included', () => {
      expect(pathToHref('/', true)).to.equal('/dav/');
      expect(pathToHref('/a/b', true)).to.equal('/dav/a/b/');
      expect(pathToHref('/a/b', false, '/webdav')).to.equal('/webdav/a/b');
    });

    it('decodes exactly once, and stores names composed (NFC)', () => {
      expect(requestPath('/dav/a%2520b')).to.equal('/a%20b');
      expect(requestPath('/dav/e%CC%81')).to.equal('/\u00e9');
      expect(requestPath('/dav/raw space/ü')).to.equal('/raw space/ü');
    });

    it('maps the mount itself to the root and ignores URLs outside it', () => {
      expect(requestPath('/dav')).to.equal('/');
      expect(requestPath('/dav/')).to.equal('/');
      expect(requestPath('/dav//a//b/')).to.equal('/a/b');
      expect(requestPath('/davx/a')).to.equal(undefined);
      expect(requestPath('/api/list')).to.equal(undefined);
    });

    const refused: [string, string][] = [
      ['a fragment (litmus delete_fragment)', '/dav/frag/#ment'],
      ['an encoded slash', '/dav/a%2Fb'],
      ['an encoded dot-dot', '/dav/a/%2e%2e/b'],
      ['a dot-dot', '/dav/a/../b'],
      ['bad percent-encoding', '/dav/a%zz'],
      ['a truncated escape', '/dav/a%E2%82'],
      ['a control character', '/dav/a%0Ab'],
      ['a backslash', '/dav/a%5Cb'],
    ];
    for (const [what, url] of refused) {
      it(`refuses ${what} with 400`, () => {
        expect(statusOf(() => requestPath(url))).to.equal(400);
      });
    }
  });

  describe('Destination', () => {
    const context = { host: 'files.example.com:5003' };

    it('accepts an absolute URL on this host, and an absolute path', () => {
      expect(parseDestination('http://files.example.com:5003/dav/a%20b/c', context)).to.equal('/a b/c');
      expect(parseDestination('https://FILES.example.com:5003/dav/x/', context)).to.equal('/x');
      expect(parseDestination('http://user:pw@files.example.com:5003/dav/x', context)).to.equal('/x');
      expect(parseDestination('/dav/x%23y', context)).to.equal('/x#y');
      expect(parseDestination('http://files.example.com:5003/dav', context)).to.equal('/');
      // Unencoded UTF-8 bytes (which Node reads as Latin-1) mean the name they spell; others are a 400.
      const raw = Buffer.from('/dav/é-copy.txt', 'utf8').toString('latin1');
      expect(parseDestination(raw, context)).to.equal('/é-copy.txt');
      expect(statusOf(() => parseDestination('/dav/\u00e9.txt', context))).to.equal(400);
    });

    it('treats the default port as the same host', () => {
      expect(parseDestination('http://h:80/dav/x', { host: 'h' })).to.equal('/x');
      expect(parseDestination('http://h/dav/x', { host: 'h:80' })).to.equal('/x');
      expect(parseDestination('https://h:443/dav/x', { host: 'h' })).to.equal('/x');
      expect(parseDestination('http://[::1]:5003/dav/x', { host: '[::1]:5003' })).to.equal('/x');
    });

    const elsewhere: [string, string][] = [
      ['another host', 'http://other.example.com:5003/dav/x'],
      ['another port', 'http://files.example.com:5004/dav/x'],
      ['another scheme', 'ftp://files.example.com:5003/dav/x'],
      ['outside the mount', 'http://files.example.com:5003/api/x'],
      ['an absolute path outside the mount', '/elsewhere/x'],
    ];
    for (const [what, value] of elsewhere) {
      it(`answers ${what} with 502 Bad Gateway (RFC 4918 §9.8.5)`, () => {
        expect(statusOf(() => parseDestination(value, context))).to.equal(502);
      });
    }

    it('answers 502 for any absolute URL when the request had no Host', () => {
      expect(statusOf(() => parseDestination('http://h/dav/x', { host: undefined }))).to.equal(502);
    });

    const malformed: [string, string | undefined][] = [
      ['a missing header', undefined],
      ['an empty header', ' '],
      ['a relative reference', 'dav/x'],
      ['a network-path reference', '//host/dav/x'],
      ['a query', '/dav/x?y=1'],
      ['a fragment', 'http://files.example.com:5003/dav/x#y'],
      ['a bad name', '/dav/a/%2e%2e/b'],
    ];
    for (const [what, value] of malformed) {
      it(`refuses ${what} with 400`, () => {
        expect(statusOf(() => parseDestination(value, context))).to.equal(400);
      });
    }

    it('urlToPath resolves If-header tags, undefined for what is not ours', () => {
      expect(urlToPath('http://files.example.com:5003/dav/lockcoll/', context)).to.equal('/lockcoll');
      expect(urlToPath('http://www.example.com/specs/', context)).to.equal(undefined);
      expect(urlToPath('/dav/x', { ...context, mount: '/webdav' })).to.equal(undefined);
    });
  });

  describe('client quirks', () => {
    it("reads a PUT's declared length from Content-Length or Finder's X-Expected-Entity-Length", () => {
      expect(declaredLength({ 'content-length': '12' })).to.equal(12);
      expect(declaredLength({ 'transfer-encoding': 'chunked', 'x-expected-entity-length': '4096' })).to.equal(
        4096,
      );
      expect(declaredLength({})).to.equal(undefined);
      expect(statusOf(() => declaredLength({ 'x-expected-entity-length': '-1' }))).to.equal(400);
      expect(statusOf(() => declaredLength({ 'content-length': '1e3' }))).to.equal(400);
    });

    it("recognises macOS's bookkeeping files and Windows' attribute properties", () => {
      expect(isMacMetadataFile('/a/._photo.jpg')).to.equal(true);
      expect(isMacMetadataFile('/a/.DS_Store')).to.equal(true);
      expect(isMacMetadataFile('/a/photo._jpg')).to.equal(false);
      expect(isWindowsFileProp({ ns: WINDOWS_NS, local: 'Win32LastModifiedTime' })).to.equal(true);
      expect(isWindowsFileProp({ ns: 'DAV:', local: 'Win32LastModifiedTime' })).to.equal(false);
      expect(isWindowsFileProp({ ns: WINDOWS_NS, local: 'ishidden' })).to.equal(false);
    });
  });
});
