// The XML WebDAV answers with: multistatus, error bodies, lock discovery — exact where clients
// parse by position, well-formed whatever the names hold.

import { DOMParser } from '@xmldom/xmldom';
import { expect } from 'chai';
import { pathToHref } from '../../src/dav/href.js';
import type { DavLock } from '../../src/dav/locks.js';
import {
  errorXml,
  lockResponseXml,
  multistatusEnd,
  multistatusStart,
  multistatusXml,
  responseXml,
  SUPPORTED_LOCK_XML,
} from '../../src/dav/xml-responses.js';
import { escapeAttr, escapeText, propElement, statusLine } from '../../src/dav/xml-write.js';

const DECL = '<?xml version="1.0" encoding="utf-8"?>\n';

function wellFormed(xml: string): void {
  new DOMParser({
    onError: (_level, message) => {
      if (!message.startsWith('Unicode replacement character')) throw new Error(message);
    },
  }).parseFromString(xml, 'application/xml');
}

const lock: DavLock = {
  token: 'urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4',
  root: '/docs/a b',
  depth: 'infinity',
  scope: 'exclusive',
  owner: '<D:href xmlns:D="DAV:">http://example.org/~ejw/contact.html</D:href>',
  timeoutSeconds: 600,
  expires: 1_000_000 + 600_000,
};

describe('dav responses', () => {
  it('writes status lines with reason phrases', () => {
    expect(statusLine(200)).to.equal('HTTP/1.1 200 OK');
    expect(statusLine(424)).to.equal('HTTP/1.1 424 Failed Dependency');
    expect(statusLine(507)).to.equal('HTTP/1.1 507 Insufficient Storage');
    expect(statusLine(423)).to.equal('HTTP/1.1 423 Locked');
  });

  it('writes a multistatus grouped by propstat', () => {
    const body = multistatusXml([
      {
        href: '/dav/a%20b',
        propstats: [
          {
            status: 200,
            props: [{ name: { ns: 'DAV:', local: 'getetag' }, xml: '<D:getetag>"1"</D:getetag>' }],
          },
          {
            status: 404,
            props: [{ name: { ns: 'urn:x', local: 'q' } }, { name: { ns: '', local: 'bare' } }],
          },
        ],
      },
    ]);
    expect(body).to.equal(
      `${DECL}<D:multistatus xmlns:D="DAV:">\n<D:response><D:href>/dav/a%20b</D:href>` +
        '<D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>' +
        '<D:propstat><D:prop><P:q xmlns:P="urn:x"/><bare/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>' +
        '</D:response>\n</D:multistatus>\n',
    );
    wellFormed(body);
  });

  it('writes a status response with a precondition and a description', () => {
    const xml = responseXml({
      href: '/dav/locked/x',
      status: 423,
      condition: { name: 'lock-token-submitted', paths: ['/locked'] },
      description: 'a < b',
    });
    expect(xml).to.equal(
      '<D:response><D:href>/dav/locked/x</D:href><D:status>HTTP/1.1 423 Locked</D:status>' +
        '<D:error><D:lock-token-submitted><D:href>/dav/locked</D:href></D:lock-token-submitted></D:error>' +
        '<D:responsedescription>a &lt; b</D:responsedescription></D:response>\n',
    );
  });

  it('streams the same body in pieces', () => {
    const responses = [
      { href: '/dav/', status: 200 },
      { href: '/dav/x', propstats: [{ status: 403, props: [{ name: { ns: 'DAV:', local: 'getetag' } }] }] },
    ];
    const pieces = multistatusStart() + responses.map((r) => responseXml(r)).join('') + multistatusEnd();
    expect(pieces).to.equal(multistatusXml(responses));
  });

  it('writes error bodies with encoded hrefs of the paths named', () => {
    expect(errorXml({ name: 'lock-token-submitted', paths: ['/a b/ü#?'] })).to.equal(
      `${DECL}<D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>/dav/a%20b/%C3%BC%23%3F</D:href>` +
        '</D:lock-token-submitted></D:error>\n',
    );
    expect(errorXml({ name: 'propfind-finite-depth' })).to.equal(
      `${DECL}<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n`,
    );
    const collectionHrefs = errorXml({ name: 'no-conflicting-lock', paths: ['/c'] }, (p) =>
      pathToHref(p, true),
    );
    expect(collectionHrefs).to.contain('<D:href>/dav/c/</D:href>');
  });

  it('writes a LOCK answer with every activelock field (RFC 4918 §9.10.9)', () => {
    const body = lockResponseXml([lock], 1_000_000 + 100_500);
    expect(body).to.equal(
      `${DECL}<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>` +
        '<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope><D:depth>infinity</D:depth>' +
        '<D:owner><D:href xmlns:D="DAV:">http://example.org/~ejw/contact.html</D:href></D:owner>' +
        '<D:timeout>Second-500</D:timeout>' +
        '<D:locktoken><D:href>urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4</D:href></D:locktoken>' +
        '<D:lockroot><D:href>/dav/docs/a%20b</D:href></D:lockroot>' +
        '</D:activelock></D:lockdiscovery></D:prop>\n',
    );
    wellFormed(body);
  });

  it('leaves out an empty owner and never counts a timeout below zero', () => {
    const body = lockResponseXml([{ ...lock, owner: '', depth: 0, scope: 'shared' }], lock.expires + 5000);
    expect(body).to.not.contain('owner');
    expect(body).to.contain('<D:depth>0</D:depth>');
    expect(body).to.contain('<D:lockscope><D:shared/></D:lockscope>');
    expect(body).to.contain('<D:timeout>Second-0</D:timeout>');
  });

  it('writes an empty lockdiscovery when nothing is locked', () => {
    expect(lockResponseXml([], 0)).to.contain('<D:lockdiscovery/>');
  });

  it('advertises exclusive and shared write locks', () => {
    expect(SUPPORTED_LOCK_XML).to.equal(
      '<D:supportedlock>' +
        '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '</D:supportedlock>',
    );
  });

  it('escapes text and attributes so any name stays well-formed', () => {
    expect(escapeText('a&b<c>d\re')).to.equal('a&amp;b&lt;c&gt;d&#13;e');
    expect(escapeAttr('"a"\t\n')).to.equal('&quot;a&quot;&#9;&#10;');
    expect(escapeText('bad\uFFFE\uD800x\u{1F680}')).to.equal('bad\uFFFD\uFFFDx\u{1F680}');
    const element = propElement({ ns: 'urn:a"b&c', local: 'p' }, escapeText('\u0001<>'));
    expect(element).to.equal('<P:p xmlns:P="urn:a&quot;b&amp;c">\uFFFD&lt;&gt;</P:p>');
    wellFormed(`<D:x xmlns:D="DAV:">${element}</D:x>`);
  });
});
