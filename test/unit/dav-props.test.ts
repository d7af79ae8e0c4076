// Live properties, PROPFIND answers per resource, and PROPPATCH's all-or-nothing rules.

import { expect } from 'chai';
import type { DavLock } from '../../src/dav/locks.js';
import { davName, parsePropKey, propKey } from '../../src/dav/names.js';
import {
  applyProppatch,
  deadPropsSize,
  MAX_DEAD_PROP_BYTES,
  MAX_DEAD_PROPS_BYTES,
} from '../../src/dav/proppatch.js';
import {
  type DavResource,
  type DeadProps,
  httpDate,
  isProtectedProp,
  LIVE_PROPS,
  liveProp,
  propfindPropstats,
  rfc3339,
} from '../../src/dav/props.js';
import { WINDOWS_NS } from '../../src/dav/quirks.js';
import { parsePropfind, parseProppatch } from '../../src/dav/xml-requests.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const file: DavResource = {
  path: '/docs/report & notes.txt',
  collection: false,
  size: 1234,
  contentType: 'text/plain',
  etag: '"g42"',
  modified: Date.UTC(1994, 10, 15, 8, 12, 31),
  created: Date.UTC(1997, 11, 1, 17, 42, 21, 250),
};
const folder: DavResource = { path: '/docs', collection: true };
const context = { locks: [] as DavLock[], now: NOW };
const custom = { ns: 'urn:x', local: 'color' };
const dead: DeadProps = { [propKey(custom)]: '<x:color xmlns:x="urn:x">red</x:color>' };

function keys(propstatProps: readonly { name: { ns: string; local: string } }[]): string[] {
  return propstatProps.map((p) => propKey(p.name));
}

describe('dav props', () => {
  describe('live properties', () => {
    it('reads back a property key whose namespace holds a }', () => {
      const name = { ns: 'urn:z}b', local: 'a' };
      expect(parsePropKey(propKey(name))).to.deep.equal(name);
      expect(parsePropKey('{urn:x}')).to.equal(undefined);
      expect(parsePropKey('urn:x}a')).to.equal(undefined);
    });

    it('formats dates as RFC 1123 and RFC 3339', () => {
      expect(httpDate(Date.UTC(1994, 10, 15, 8, 12, 31))).to.equal('Tue, 15 Nov 1994 08:12:31 GMT');
      expect(rfc3339(Date.UTC(1997, 11, 1, 17, 42, 21, 250))).to.equal('1997-12-01T17:42:21Z');
    });

    it('gives a file every live property', () => {
      const value = (local: string) => liveProp(davName(local), file, context);
      expect(value('resourcetype')).to.equal('<D:resourcetype/>');
      expect(value('getcontentlength')).to.equal('<D:getcontentlength>1234</D:getcontentlength>');
      expect(value('getcontenttype')).to.equal('<D:getcontenttype>text/plain</D:getcontenttype>');
      expect(value('getetag')).to.equal('<D:getetag>"g42"</D:getetag>');
      expect(value('getlastmodified')).to.equal(
        '<D:getlastmodified>Tue, 15 Nov 1994 08:12:31 GMT</D:getlastmodified>',
      );
      expect(value('creationdate')).to.equal('<D:creationdate>1997-12-01T17:42:21Z</D:creationdate>');
      expect(value('displayname')).to.equal('<D:displayname>report &amp; notes.txt</D:displayname>');
      expect(value('supportedlock')).to.contain('<D:lockentry>');
      expect(value('lockdiscovery')).to.equal('<D:lockdiscovery/>');
    });

    it('gives a collection no length or type, and a file without a type octet-stream', () => {
      expect(liveProp(davName('resourcetype'), folder, context)).to.equal(
        '<D:resourcetype><D:collection/></D:resourcetype>',
      );
      expect(liveProp(davName('getcontentlength'), folder, context)).to.equal(undefined);
      expect(liveProp(davName('getcontenttype'), folder, context)).to.equal(undefined);
      expect(liveProp(davName('getetag'), folder, context)).to.equal(undefined);
      expect(liveProp(davName('getcontenttype'), { path: '/f', collection: false }, context)).to.equal(
        '<D:getcontenttype>application/octet-stream</D:getcontenttype>',
      );
      expect(liveProp(davName('displayname'), { path: '/', collection: true }, context)).to.equal(undefined);
      expect(liveProp({ ns: 'urn:x', local: 'getetag' }, file, context)).to.equal(undefined);
    });

    it('lists in lockdiscovery only the active locks that cover the resource', () => {
      const make = (token: string, root: string, depth: 0 | 'infinity', expires = NOW + 1000): DavLock => ({
        token,
        root,
        depth,
        scope: 'shared',
        owner: '',
        timeoutSeconds: 1,
        expires,
      });
      const locks = [
        make('urn:uuid:own', file.path, 0),
        make('urn:uuid:above', '/docs', 'infinity'),
        make('urn:uuid:parent-only', '/docs', 0),
        make('urn:uuid:sibling', '/docs/other', 0),
        make('urn:uuid:expired', file.path, 0, NOW),
      ];
      const xml = liveProp(davName('lockdiscovery'), file, { locks, now: NOW }) ?? '';
      expect(xml.match(/urn:uuid:[a-z-]+/g)).to.deep.equal(['urn:uuid:own', 'urn:uuid:above']);
    });

    it('protects every live property but displayname (RFC 4918 §15)', () => {
      expect(LIVE_PROPS.filter(isProtectedProp).map((n) => n.local)).to.have.members([
        'resourcetype',
        'getcontentlength',
        'getcontenttype',
        'getetag',
        'getlastmodified',
        'creationdate',
        'supportedlock',
        'lockdiscovery',
      ]);
      expect(isProtectedProp(davName('displayname'))).to.equal(false);
      expect(isProtectedProp({ ns: WINDOWS_NS, local: 'Win32CreationTime' })).to.equal(false);
    });
  });

  describe('propfindPropstats', () => {
    it('answers allprop with every live property the resource has and every dead one', () => {
      const [found, ...rest] = propfindPropstats(parsePropfind(''), file, dead, context);
      expect(rest).to.deep.equal([]);
      expect(found?.status).to.equal(200);
      expect(keys(found?.props ?? [])).to.deep.equal([...LIVE_PROPS.map(propKey), propKey(custom)]);
      expect(found?.props.at(-1)?.xml).to.equal('<x:color xmlns:x="urn:x">red</x:color>');
    });

    it('reports an included property the resource lacks as 404, and only that one', () => {
      const request = parsePropfind(
        '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:getcontentlength/><q:quota xmlns:q="urn:q"/></D:include></D:propfind>',
      );
      const propstats = propfindPropstats(request, folder, {}, context);
      expect(propstats.map((p) => p.status)).to.deep.equal([200, 404]);
      expect(keys(propstats[1]?.props ?? [])).to.deep.equal(['{DAV:}getcontentlength', '{urn:q}quota']);
    });

    it('answers propname with names only', () => {
      const [found] = propfindPropstats({ kind: 'propname' }, folder, dead, context);
      expect(found?.props.every((p) => p.xml === undefined)).to.equal(true);
      expect(keys(found?.props ?? [])).to.include.members(['{DAV:}resourcetype', '{urn:x}color']);
      expect(keys(found?.props ?? [])).to.not.include('{DAV:}getcontentlength');
    });

    it('answers a prop list with 200s and 404s, Windows properties among them', () => {
      const request = parsePropfind(
        `<D:propfind xmlns:D="DAV:" xmlns:Z="${WINDOWS_NS}"><D:prop><D:getcontentlength/><Z:Win32FileAttributes/>` +
          '<x:color xmlns:x="urn:x"/><D:quota-available-bytes/></D:prop></D:propfind>',
      );
      const propstats = propfindPropstats(request, file, dead, context);
      expect(propstats.map((p) => [p.status, keys(p.props)])).to.deep.equal([
        [200, ['{DAV:}getcontentlength', '{urn:x}color']],
        [404, [`{${WINDOWS_NS}}Win32FileAttributes`, '{DAV:}quota-available-bytes']],
      ]);
    });

    it('ignores a stored value for a protected property', () => {
      const forged = { [propKey(davName('getetag'))]: '<D:getetag xmlns:D="DAV:">"forged"</D:getetag>' };
      const [found] = propfindPropstats(parsePropfind(''), file, forged, context);
      const etags = found?.props.filter((p) => p.name.local === 'getetag') ?? [];
      expect(etags.map((p) => p.xml)).to.deep.equal(['<D:getetag>"g42"</D:getetag>']);
    });

    it('lets a stored displayname override the computed one, listed once', () => {
      const stored = {
        [propKey(davName('displayname'))]: '<D:displayname xmlns:D="DAV:">Quarterly</D:displayname>',
      };
      const [found] = propfindPropstats(parsePropfind(''), file, stored, context);
      const names = found?.props.filter((p) => p.name.local === 'displayname') ?? [];
      expect(names.map((p) => p.xml)).to.deep.equal([
        '<D:displayname xmlns:D="DAV:">Quarterly</D:displayname>',
      ]);
    });
  });

  describe('applyProppatch', () => {
    const windowsPatch = parseProppatch(
      `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="${WINDOWS_NS}"><D:set><D:prop>` +
        '<Z:Win32CreationTime>Thu, 09 Oct 2025 17:54:43 GMT</Z:Win32CreationTime>' +
        '<Z:Win32LastAccessTime>Thu, 09 Oct 2025 17:55:31 GMT</Z:Win32LastAccessTime>' +
        '<Z:Win32LastModifiedTime>Thu, 09 Oct 2025 17:54:43 GMT</Z:Win32LastModifiedTime>' +
        '<Z:Win32FileAttributes>00000000</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>',
    );

    it("stores Windows' file attributes and answers 200 for each", () => {
      const outcome = applyProppatch(windowsPatch, {});
      expect(outcome.ok).to.equal(true);
      expect(outcome.propstats).to.have.length(1);
      expect(outcome.propstats[0]?.status).to.equal(200);
      expect(outcome.propstats[0]?.props).to.have.length(4);
      expect(Object.keys(outcome.dead)).to.have.length(4);
      expect(outcome.dead[`{${WINDOWS_NS}}Win32FileAttributes`]).to.equal(
        `<Z:Win32FileAttributes xmlns:Z="${WINDOWS_NS}">00000000</Z:Win32FileAttributes>`,
      );
    });

    it('applies instructions in order (litmus propremoveset, propsetremove)', () => {
      const ns = 'http://example.com/neon/litmus/';
      const removeThenSet = parseProppatch(
        `<propertyupdate xmlns='DAV:'><remove><prop><removeset xmlns='${ns}'/></prop></remove>` +
          `<set><prop><removeset xmlns='${ns}'>x</removeset></prop></set>` +
          `<set><prop><removeset xmlns='${ns}'>y</removeset></prop></set></propertyupdate>`,
      );
      const first = applyProppatch(removeThenSet, {});
      expect(first.dead).to.deep.equal({ [`{${ns}}removeset`]: `<removeset xmlns="${ns}">y</removeset>` });
      expect(first.propstats).to.deep.equal([{ status: 200, props: [{ name: { ns, local: 'removeset' } }] }]);
      const setThenRemove = parseProppatch(
        `<propertyupdate xmlns='DAV:'><set><prop><removeset xmlns='${ns}'>x</removeset></prop></set>` +
          `<remove><prop><removeset xmlns='${ns}'/></prop></remove></propertyupdate>`,
      );
      expect(applyProppatch(setThenRemove, first.dead).dead).to.deep.equal({});
    });

    it('treats removing a missing property as success', () => {
      const ops = parseProppatch(
        '<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><x:n xmlns:x="urn:x"/></D:prop></D:remove></D:propertyupdate>',
      );
      const outcome = applyProppatch(ops, dead);
      expect(outcome.ok).to.equal(true);
      expect(outcome.dead).to.deep.equal(dead);
    });

    it('fails the whole patch when one property is protected: 403 for it, 424 for the rest (RFC 4918 §9.2)', () => {
      const ops = parseProppatch(
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a>' +
          '<D:getetag>"forged"</D:getetag></D:prop></D:set>' +
          '<D:remove><D:prop><x:color xmlns:x="urn:x"/></D:prop></D:remove></D:propertyupdate>',
      );
      const outcome = applyProppatch(ops, dead);
      expect(outcome.ok).to.equal(false);
      expect(outcome.dead).to.equal(dead);
      expect(outcome.propstats).to.deep.equal([
        {
          status: 424,
          props: [{ name: { ns: 'urn:x', local: 'a' } }, { name: { ns: 'urn:x', local: 'color' } }],
        },
        {
          status: 403,
          props: [{ name: { ns: 'DAV:', local: 'getetag' } }],
          condition: { name: 'cannot-modify-protected-property' },
        },
      ]);
    });

    it('refuses a value over 4 KiB with 507 and a reason, storing nothing', () => {
      const big = 'v'.repeat(MAX_DEAD_PROP_BYTES);
      const ops = parseProppatch(
        `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:ok xmlns:x="urn:x">1</x:ok><x:big xmlns:x="urn:x">${big}</x:big></D:prop></D:set></D:propertyupdate>`,
      );
      const outcome = applyProppatch(ops, {});
      expect(outcome.ok).to.equal(false);
      expect(outcome.dead).to.deep.equal({});
      expect(outcome.propstats.map((p) => [p.status, p.description])).to.deep.equal([
        [424, undefined],
        [507, `a property value may hold at most ${MAX_DEAD_PROP_BYTES} bytes`],
      ]);
    });

    it('refuses a set that takes the total over 64 KiB, and accepts one that fits', () => {
      const value = 'v'.repeat(4000);
      const filled: Record<string, string> = {};
      for (let i = 0; deadPropsSize(filled) + 4100 < MAX_DEAD_PROPS_BYTES; i++) {
        filled[`{urn:f}p${i}`] = `<f:p${i} xmlns:f="urn:f">${value}</f:p${i}>`;
      }
      const body = (n: number) =>
        `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:n xmlns:x="urn:x">${'w'.repeat(n)}</x:n></D:prop></D:set></D:propertyupdate>`;
      const room =
        MAX_DEAD_PROPS_BYTES -
        deadPropsSize(filled) -
        Buffer.byteLength('{urn:x}n<x:n xmlns:x="urn:x"></x:n>');
      expect(applyProppatch(parseProppatch(body(room)), filled).ok).to.equal(true);
      const over = applyProppatch(parseProppatch(body(room + 1)), filled);
      expect(over.ok).to.equal(false);
      expect(over.propstats[0]?.status).to.equal(507);
    });

    it('counts keys and values in UTF-8 bytes', () => {
      expect(deadPropsSize({ '{u}é': 'ü' })).to.equal(Buffer.byteLength('{u}é') + 2);
    });
  });
});
