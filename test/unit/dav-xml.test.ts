// WebDAV request bodies parsed whatever their prefixes, and dead properties that survive
// parse → store → multistatus → a client's parser with their namespaces and content intact.

import { DOMParser, type Element } from '@xmldom/xmldom';
import { expect } from 'chai';
import { MAX_XML_BODY_BYTES, readXmlBody } from '../../src/dav/body.js';
import { DavError } from '../../src/dav/errors.js';
import { childElements, innerXml, MAX_XML_DEPTH, outerXml, parseXmlBody } from '../../src/dav/xml-parse.js';
import { parseLockInfo, parsePropfind, parseProppatch } from '../../src/dav/xml-requests.js';
import { multistatusXml } from '../../src/dav/xml-responses.js';

const LITMUS_NS = 'http://example.com/neon/litmus/';
const DECL = '<?xml version="1.0" encoding="utf-8" ?>';

/** The status a DavError thrown by `fn` carries, or undefined when it does not throw. */
function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(DavError);
    return (err as DavError).status;
  }
}

/** An element's infoset as a string: namespaces and local names, never prefixes. */
function canonical(el: Element): string {
  const attrs = Array.from(el.attributes)
    .filter((a) => a.namespaceURI !== 'http://www.w3.org/2000/xmlns/')
    .map((a) => `{${a.namespaceURI ?? ''}}${a.localName}=${JSON.stringify(a.value)}`)
    .sort();
  const children = Array.from(el.childNodes)
    .map((n) =>
      n.nodeType === 1
        ? canonical(n as Element)
        : n.nodeType === 3 || n.nodeType === 4
          ? JSON.stringify(n.nodeValue)
          : '',
    )
    .join('');
  return `<{${el.namespaceURI ?? ''}}${el.localName}${attrs.length ? ` ${attrs.join(' ')}` : ''}>${children}</>`;
}

function parse(xml: string): Element {
  const doc = new DOMParser({
    onError: (_level, message) => {
      throw new Error(message);
    },
  }).parseFromString(xml, 'application/xml');
  if (!doc.documentElement) throw new Error('no root');
  return doc.documentElement;
}

/** Stores what a PROPPATCH sets, writes it into a multistatus, and reads it back as a client would. */
function roundTrip(body: string): { sent: Element[]; received: Element[] } {
  const ops = parseProppatch(body);
  const sent = childElements(parse(body))
    .flatMap((instruction) => childElements(instruction))
    .flatMap((prop) => childElements(prop));
  const stored = ops.flatMap((op) => (op.op === 'set' ? [op.xml] : []));
  const response = multistatusXml([
    {
      href: '/dav/x',
      propstats: [{ status: 200, props: ops.map((op, i) => ({ name: op.name, xml: stored[i] })) }],
    },
  ]);
  const prop = childElements(
    childElements(childElements(childElements(parse(response))[0] as Element)[1] as Element)[0] as Element,
  );
  return { sent, received: prop };
}

describe('dav xml', () => {
  describe('parsePropfind', () => {
    it('takes an empty body as allprop (RFC 4918 §9.1)', () => {
      expect(parsePropfind('')).to.deep.equal({ kind: 'allprop', include: [] });
      expect(parsePropfind('  \r\n ')).to.deep.equal({ kind: 'allprop', include: [] });
    });

    it('reads a prop list whatever the prefixes, default namespaces and empty namespace', () => {
      const body = `${DECL}<A:propfind xmlns:A="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><A:prop>
        <A:getcontentlength/><Z:Win32FileAttributes/><foo xmlns="${LITMUS_NS}"/><bare xmlns=""/>
        <A:getcontentlength/></A:prop></A:propfind>`;
      expect(parsePropfind(body)).to.deep.equal({
        kind: 'prop',
        props: [
          { ns: 'DAV:', local: 'getcontentlength' },
          { ns: 'urn:schemas-microsoft-com:', local: 'Win32FileAttributes' },
          { ns: LITMUS_NS, local: 'foo' },
          { ns: '', local: 'bare' },
        ],
      });
    });

    it('reads propname, and allprop with include', () => {
      expect(parsePropfind('<propfind xmlns="DAV:"><propname/></propfind>')).to.deep.equal({
        kind: 'propname',
      });
      const body =
        '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><x:q xmlns:x="urn:q"/></D:include></D:propfind>';
      expect(parsePropfind(body)).to.deep.equal({ kind: 'allprop', include: [{ ns: 'urn:q', local: 'q' }] });
    });

    it('ignores unknown elements beside allprop (litmus propextended)', () => {
      expect(parsePropfind(`${DECL}<propfind xmlns="DAV:"><foobar/><allprop/></propfind>`)).to.deep.equal({
        kind: 'allprop',
        include: [],
      });
    });

    const refused: [string, string][] = [
      ['non-well-formed XML (litmus propfind_invalid)', '<foo>'],
      [
        'an empty namespace bound to a prefix (litmus propfind_invalid2)',
        '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
      ],
      ['an unbound prefix', '<D:propfind xmlns:D="DAV:"><D:prop><x:foo/></D:prop></D:propfind>'],
      ['a root in the wrong namespace', '<propfind><allprop/></propfind>'],
      ['another root element', '<D:propertyupdate xmlns:D="DAV:"/>'],
      ['neither allprop, propname nor prop', '<D:propfind xmlns:D="DAV:"/>'],
      [
        'both allprop and prop',
        '<D:propfind xmlns:D="DAV:"><D:allprop/><D:prop><D:x/></D:prop></D:propfind>',
      ],
      ['an empty prop', '<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>'],
      ['two root elements', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind><x/>'],
      ['trailing text', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>junk'],
      ['a duplicate attribute', '<D:propfind xmlns:D="DAV:" a="1" a="2"><D:allprop/></D:propfind>'],
      ['an undefined entity', '<D:propfind xmlns:D="DAV:"><D:prop><D:a>&nope;</D:a></D:prop></D:propfind>'],
      ['a control character', '<D:propfind xmlns:D="DAV:"><D:prop><D:a>\u0001</D:a></D:prop></D:propfind>'],
      [
        'a reference to a control character',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:a>&#1;</D:a></D:prop></D:propfind>',
      ],
      [
        'a reference to U+FFFE',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:a>&#xFFFE;</D:a></D:prop></D:propfind>',
      ],
      [
        'a reference to a surrogate',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:a>&#55296;</D:a></D:prop></D:propfind>',
      ],
      [
        'a reference past Unicode',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:a>&#x110000;</D:a></D:prop></D:propfind>',
      ],
    ];
    for (const [what, body] of refused) {
      it(`refuses ${what} with 400`, () => {
        expect(statusOf(() => parsePropfind(body))).to.equal(400);
      });
    }
  });

  describe('refusing DTDs', () => {
    it('refuses a billion-laughs body before parsing it', () => {
      const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ).join('')}]><D:propfind xmlns:D="DAV:"><D:prop><D:x>&lol9;</D:x></D:prop></D:propfind>`;
      expect(statusOf(() => parsePropfind(laughs))).to.equal(400);
    });

    it('refuses an external entity with 403 no-external-entities (RFC 4918 §16)', () => {
      const xxe =
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';
      const bare =
        '<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';
      for (const body of [xxe, bare]) {
        try {
          parsePropfind(body);
          expect.fail('parsed a body with an external entity');
        } catch (err) {
          expect((err as DavError).status).to.equal(403);
          expect((err as DavError).condition).to.deep.equal({ name: 'no-external-entities' });
        }
      }
    });

    it('refuses an internal DTD without entities too', () => {
      expect(statusOf(() => parseXmlBody('<!DOCTYPE x><x/>'))).to.equal(400);
    });
  });

  describe('nesting', () => {
    const nested = (depth: number) =>
      `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</x:p></D:prop></D:set></D:propertyupdate>`;

    it(`accepts elements nested ${MAX_XML_DEPTH} deep and refuses deeper with 400, never overflowing the stack`, () => {
      // propertyupdate, set, prop and the property itself take four levels.
      expect(parseProppatch(nested(MAX_XML_DEPTH - 4))).to.have.length(1);
      expect(statusOf(() => parseProppatch(nested(MAX_XML_DEPTH - 3)))).to.equal(400);
      expect(statusOf(() => parseProppatch(nested(20_000)))).to.equal(400);
    });
  });

  describe('parseProppatch', () => {
    it('keeps set and remove in document order (litmus propremoveset)', () => {
      const body = `${DECL}<propertyupdate xmlns='DAV:'>
        <remove><prop><removeset xmlns='${LITMUS_NS}'/></prop></remove>
        <set><prop><removeset xmlns='${LITMUS_NS}'>x</removeset></prop></set>
        <set><prop><removeset xmlns='${LITMUS_NS}'>y</removeset></prop></set></propertyupdate>`;
      const ops = parseProppatch(body);
      expect(ops.map((op) => op.op)).to.deep.equal(['remove', 'set', 'set']);
      expect(ops[2]).to.deep.equal({
        op: 'set',
        name: { ns: LITMUS_NS, local: 'removeset' },
        xml: `<removeset xmlns="${LITMUS_NS}">y</removeset>`,
      });
    });

    it('reads several properties per prop and ignores unknown instructions', () => {
      const body = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
        <Z:Win32CreationTime>Thu, 09 Oct 2025 17:54:43 GMT</Z:Win32CreationTime>
        <Z:Win32FileAttributes>00000000</Z:Win32FileAttributes></D:prop></D:set><D:other/></D:propertyupdate>`;
      const ops = parseProppatch(body);
      expect(ops).to.deep.equal([
        {
          op: 'set',
          name: { ns: 'urn:schemas-microsoft-com:', local: 'Win32CreationTime' },
          xml: '<Z:Win32CreationTime xmlns:Z="urn:schemas-microsoft-com:">Thu, 09 Oct 2025 17:54:43 GMT</Z:Win32CreationTime>',
        },
        {
          op: 'set',
          name: { ns: 'urn:schemas-microsoft-com:', local: 'Win32FileAttributes' },
          xml: '<Z:Win32FileAttributes xmlns:Z="urn:schemas-microsoft-com:">00000000</Z:Win32FileAttributes>',
        },
      ]);
    });

    it('refuses an empty body, no instructions, or a set without prop', () => {
      expect(statusOf(() => parseProppatch(''))).to.equal(400);
      expect(statusOf(() => parseProppatch('<D:propertyupdate xmlns:D="DAV:"/>'))).to.equal(400);
      expect(
        statusOf(() => parseProppatch('<D:propertyupdate xmlns:D="DAV:"><D:set/></D:propertyupdate>')),
      ).to.equal(400);
    });
  });

  describe('dead property round trips', () => {
    const bodies: [string, string][] = [
      [
        'plain text (litmus propset)',
        `<propertyupdate xmlns="DAV:"><set><prop><prop0 xmlns="${LITMUS_NS}">value0</prop0></prop></set></propertyupdate>`,
      ],
      [
        'no namespace (litmus propnullns)',
        '<propertyupdate xmlns="DAV:"><set><prop><nonamespace xmlns="">randomvalue</nonamespace></prop></set></propertyupdate>',
      ],
      [
        'a character above U+FFFF (litmus prophighunicode)',
        `<propertyupdate xmlns='DAV:'><set><prop><high-unicode xmlns='${LITMUS_NS}'>&#65536;</high-unicode></prop></set></propertyupdate>`,
      ],
      [
        'a value declaring a default namespace (litmus propvalnspace)',
        `<propertyupdate xmlns='DAV:'><set><prop><t:valnspace xmlns:t='${LITMUS_NS}'><foo xmlns='http://bar'/></t:valnspace></prop></set></propertyupdate>`,
      ],
      [
        'child elements inheriting the DAV: default namespace',
        '<propertyupdate xmlns="DAV:"><set><prop><x:p xmlns:x="urn:x"><a><b>deep</b></a>tail</x:p></prop></set></propertyupdate>',
      ],
      [
        'prefixes declared far above',
        '<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x" xmlns:y="urn:y"><D:set><D:prop><x:p y:attr="v"><y:q x:a="1">t</y:q><D:href>/h</D:href></x:p></D:prop></D:set></D:propertyupdate>',
      ],
      [
        'the D prefix rebound to another namespace',
        '<x:propertyupdate xmlns:x="DAV:"><x:set><x:prop><D:p xmlns:D="urn:not-dav"><D:c/></D:p></x:prop></x:set></x:propertyupdate>',
      ],
      [
        'markup characters, CR, quotes and whitespace',
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><e:p xmlns:e="urn:e" q="a&quot;b&#9;c&#10;">&lt;tag&gt; &amp; &#13;\n  "quoted" \'single\'</e:p></D:prop></D:set></D:propertyupdate>',
      ],
      [
        'CDATA',
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><e:p xmlns:e="urn:e"><![CDATA[<not-an-element/> & ]]></e:p></D:prop></D:set></D:propertyupdate>',
      ],
      [
        'xml:lang on the property (RFC 4918 §4.3)',
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><e:p xmlns:e="urn:e" xml:lang="de">Grüße</e:p></D:prop></D:set></D:propertyupdate>',
      ],
      [
        'an odd namespace URI',
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><e:p xmlns:e="http://ex.com/a?b=c&amp;d=&quot;e&quot;#f">v</e:p></D:prop></D:set></D:propertyupdate>',
      ],
      [
        'ten namespaces at once (litmus propmanyns)',
        `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>${['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'].map((n, i) => `<ns${i}:somename xmlns:ns${i}="http://example.com/${n}">manynsvalue</ns${i}:somename>`).join('')}</D:prop></D:set></D:propertyupdate>`,
      ],
    ];
    for (const [what, body] of bodies) {
      it(`keeps ${what}`, () => {
        const { sent, received } = roundTrip(body);
        expect(received.map(canonical)).to.deep.equal(sent.map(canonical));
      });
    }

    it('keeps the source prefixes and adds only the declarations a fragment needs', () => {
      const body =
        '<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:p><x:c/><D:href>h</D:href></x:p></D:prop></D:set></D:propertyupdate>';
      const [op] = parseProppatch(body);
      expect(op).to.deep.include({
        xml: '<x:p xmlns:x="urn:x"><x:c/><D:href xmlns:D="DAV:">h</D:href></x:p>',
      });
    });

    it('writes a property with no namespace without a default namespace in scope', () => {
      const { received } = roundTrip(
        '<propertyupdate xmlns="DAV:"><set><prop><bare xmlns="">v<child/></bare></prop></set></propertyupdate>',
      );
      expect(received[0]?.namespaceURI ?? null).to.equal(null);
      expect(childElements(received[0] as Element)[0]?.namespaceURI ?? null).to.equal(null);
    });
  });

  describe('fragments', () => {
    it('innerXml makes mixed content self-contained', () => {
      const root = parseXmlBody(
        '<D:owner xmlns:D="DAV:">by <D:href>mailto:a@b</D:href> <!-- note --></D:owner>',
      );
      expect(innerXml(root)).to.equal('by <D:href xmlns:D="DAV:">mailto:a@b</D:href> <!-- note -->');
      expect(outerXml(root)).to.equal(
        '<D:owner xmlns:D="DAV:">by <D:href>mailto:a@b</D:href> <!-- note --></D:owner>',
      );
    });
  });

  describe('parseLockInfo', () => {
    it('reads an exclusive write lock with a text owner, as neon sends it', () => {
      const body = `${DECL}<lockinfo xmlns='DAV:'><lockscope><exclusive/></lockscope><locktype><write/></locktype><owner>litmus test suite</owner></lockinfo>`;
      expect(parseLockInfo(body)).to.deep.equal({ scope: 'exclusive', owner: 'litmus test suite' });
    });

    it('reads a shared lock with an href owner under any prefix, and no owner', () => {
      const body =
        '<a:lockinfo xmlns:a="DAV:"><a:locktype><a:write/></a:locktype><a:lockscope><a:shared/></a:lockscope><a:owner><a:href>http://example.org/~ejw</a:href></a:owner></a:lockinfo>';
      expect(parseLockInfo(body)).to.deep.equal({
        scope: 'shared',
        owner: '<a:href xmlns:a="DAV:">http://example.org/~ejw</a:href>',
      });
      const none =
        '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
      expect(parseLockInfo(none)).to.deep.equal({ scope: 'exclusive', owner: '' });
    });

    it('takes an empty body as a refresh', () => {
      expect(parseLockInfo('')).to.equal(undefined);
      expect(parseLockInfo(' \n')).to.equal(undefined);
    });

    it('refuses a missing lockscope or locktype with 400, an unknown scope or type with 422', () => {
      expect(
        statusOf(() =>
          parseLockInfo('<D:lockinfo xmlns:D="DAV:"><D:locktype><D:write/></D:locktype></D:lockinfo>'),
        ),
      ).to.equal(400);
      expect(
        statusOf(() =>
          parseLockInfo('<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope></D:lockinfo>'),
        ),
      ).to.equal(400);
      expect(
        statusOf(() =>
          parseLockInfo(
            '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:both/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
          ),
        ),
      ).to.equal(422);
      expect(
        statusOf(() =>
          parseLockInfo(
            '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:read/></D:locktype></D:lockinfo>',
          ),
        ),
      ).to.equal(422);
      expect(
        statusOf(() =>
          parseLockInfo(
            '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
          ),
        ),
      ).to.equal(422);
    });

    it('refuses an owner longer than 4 KiB', () => {
      const owner = 'o'.repeat(4097);
      const body = `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;
      expect(statusOf(() => parseLockInfo(body))).to.equal(400);
      expect(parseLockInfo(body.replace(owner, owner.slice(1)))?.owner).to.have.length(4096);
    });
  });

  describe('readXmlBody', () => {
    async function* chunks(...parts: (string | Buffer)[]) {
      yield* parts;
    }

    async function statusOfAsync(promise: Promise<unknown>): Promise<number | undefined> {
      try {
        await promise;
        return undefined;
      } catch (err) {
        expect(err).to.be.instanceOf(DavError);
        return (err as DavError).status;
      }
    }

    it('joins chunks as UTF-8, a multi-byte character split between them, and drops a BOM', async () => {
      const bytes = Buffer.from('\uFEFF<a>é🚀</a>');
      expect(await readXmlBody(chunks(bytes.subarray(0, 6), bytes.subarray(6)))).to.equal('<a>é🚀</a>');
      expect(await readXmlBody(chunks())).to.equal('');
    });

    it('stops at the limit with 413', async () => {
      expect(await readXmlBody(chunks('x'.repeat(10)), 10)).to.have.length(10);
      expect(await statusOfAsync(readXmlBody(chunks('x'.repeat(6), 'x'.repeat(5)), 10))).to.equal(413);
      expect(MAX_XML_BODY_BYTES).to.equal(256 * 1024);
    });

    it('refuses bytes that are not UTF-8 with 400', async () => {
      expect(await statusOfAsync(readXmlBody(chunks(Buffer.from([0x3c, 0xff, 0x3e]))))).to.equal(400);
    });
  });
});
