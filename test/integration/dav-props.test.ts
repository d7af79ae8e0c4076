// WebDAV properties on a real cluster: live properties from the manifest, hrefs that round-trip
// awkward names, dead properties kept in attributes (Windows' Win32 set leaves the ETag alone),
// and a Depth 1 listing of a folder larger than one listing page, streamed.

import { expect } from 'chai';
import { parseXmlBody } from '../../src/dav/xml-parse.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { dav, davProp, davUrl, parseMultistatus, propfindBody } from '../helpers/dav-http.js';
import { startDavServer } from '../helpers/dav-server.js';

const WIN32 = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
<Z:Win32CreationTime>Sun, 06 Dec 2026 10:00:00 GMT</Z:Win32CreationTime>
<Z:Win32LastAccessTime>Sun, 06 Dec 2026 10:00:01 GMT</Z:Win32LastAccessTime>
<Z:Win32LastModifiedTime>Sun, 06 Dec 2026 10:00:02 GMT</Z:Win32LastModifiedTime>
<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>
</D:prop></D:set></D:propertyupdate>`;

describe('dav: properties', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let web: string;

  before(async () => {
    cluster = await startCluster({ nodes: 1, replication: 1, webClient: true });
    web = cluster.client?.url as string;
  });

  after(async () => {
    await cluster?.close();
  });

  it('serves live properties from the manifest, Depth 0 and 1', async () => {
    await cluster.sdk.upload(['hello world'], '/p/doc.txt');
    await cluster.sdk.mkdir('/p/sub');
    const { generation, created } = await cluster.sdk.stat('/p/doc.txt');
    const file = parseMultistatus((await dav(web, 'PROPFIND', davUrl('/p/doc.txt'), { Depth: '0' })).text);
    expect(file).to.have.length(1);
    expect(file[0]?.href).to.equal('/dav/p/doc.txt');
    expect(davProp(file[0], 'getcontentlength')).to.equal('11');
    expect(davProp(file[0], 'getcontenttype')).to.equal('text/plain; charset=utf-8');
    expect(davProp(file[0], 'getetag')).to.equal(`"g${generation}"`);
    expect(davProp(file[0], 'getlastmodified')).to.equal(new Date(created).toUTCString());
    expect(davProp(file[0], 'creationdate')).to.equal(
      new Date(created).toISOString().replace(/\.\d+Z$/, 'Z'),
    );
    expect(davProp(file[0], 'displayname')).to.equal('doc.txt');
    expect(file[0]?.props.get('{DAV:}resourcetype')?.element.childNodes.length).to.equal(0);
    expect(file[0]?.props.has('{DAV:}supportedlock')).to.equal(true);
    const folder = parseMultistatus((await dav(web, 'PROPFIND', davUrl('/p/'), { Depth: '1' })).text);
    expect(folder.map((a) => a.href)).to.deep.equal(['/dav/p/', '/dav/p/doc.txt', '/dav/p/sub/']);
    expect(
      folder[2]?.props.get('{DAV:}resourcetype')?.element.getElementsByTagNameNS('DAV:', 'collection').length,
    ).to.equal(1);
    const root = parseMultistatus((await dav(web, 'PROPFIND', '/dav/', { Depth: '1' })).text);
    expect(root.map((a) => a.href)).to.deep.equal(['/dav/', '/dav/p/']);
  });

  it('answers the quota properties of a folder from the cluster’s space when asked, never in allprop', async () => {
    await cluster.sdk.upload(['counted bytes'], '/q/a.txt');
    const body = propfindBody('quota-available-bytes', 'quota-used-bytes');
    const [folder] = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/q/'), { Depth: '0', 'Content-Type': 'text/xml' }, body)).text,
    );
    const nodes = await cluster.sdk.nodes();
    const status = await cluster.sdk.status();
    const free = nodes.filter((n) => n.state === 'alive').reduce((sum, n) => sum + n.free, 0);
    const available = Number(davProp(folder, 'quota-available-bytes'));
    // What the nodes can take, once per replica (the disks' free space moves a little meanwhile).
    expect(available).to.be.greaterThan(0);
    expect(Math.abs(available - free / status.replication)).to.be.below(free / status.replication / 100);
    expect(Number(davProp(folder, 'quota-used-bytes'))).to.equal(status.logicalBytes);
    // A file has none; allprop lists neither; they cannot be set.
    const [file] = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/q/a.txt'), { Depth: '0', 'Content-Type': 'text/xml' }, body)).text,
    );
    expect(file?.props.get('{DAV:}quota-used-bytes')?.status).to.equal(404);
    const all = await dav(web, 'PROPFIND', davUrl('/q/'), { Depth: '0' });
    expect(all.text).to.not.include('quota-');
    const set = await dav(
      web,
      'PROPPATCH',
      davUrl('/q/'),
      { 'Content-Type': 'text/xml' },
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:quota-used-bytes>1</D:quota-used-bytes></D:prop></D:set></D:propertyupdate>',
    );
    expect(parseMultistatus(set.text)[0]?.props.get('{DAV:}quota-used-bytes')?.status).to.equal(403);
  });

  it('lists only well-formed dead properties stored through the master’s API, never their raw text', async () => {
    const evil =
      '</D:prop></D:propstat></D:response><D:response><D:href>/dav/evil</D:href><D:propstat><D:prop><D:x>';
    await cluster.sdk.upload(['x'], '/inj/a.txt', {
      attributes: {
        'dav:{urn:z}bad': evil,
        'dav:{urn:z}renamed': '<z:other xmlns:z="urn:z">1</z:other>',
        'dav:{urn:z}good': '<z:good xmlns:z="urn:z">ok &amp; fine</z:good>',
      },
    });
    const reply = await dav(web, 'PROPFIND', davUrl('/inj/'), { Depth: '1' });
    expect(reply.status).to.equal(207);
    expect(() => parseXmlBody(reply.text)).to.not.throw();
    expect(reply.text).to.not.include('/dav/evil');
    const listed = parseMultistatus(reply.text);
    expect(listed.map((a) => a.href)).to.deep.equal(['/dav/inj/', '/dav/inj/a.txt']);
    const props = listed[1]?.props;
    expect(props?.get('{urn:z}good')?.text).to.equal('ok & fine');
    expect([
      props?.has('{urn:z}bad'),
      props?.has('{urn:z}renamed'),
      props?.has('{urn:z}other'),
    ]).to.deep.equal([false, false, false]);
  });

  it('answers asked-for properties, 404 for unknown ones, and refuses Depth infinity with 403', async () => {
    const body = propfindBody('getetag', 'quota-available-bytes');
    const reply = await dav(web, 'PROPFIND', davUrl('/p/doc.txt'), { Depth: '0' }, body);
    const [answer] = parseMultistatus(reply.text);
    expect(answer?.props.get('{DAV:}getetag')?.status).to.equal(200);
    expect(answer?.props.get('{DAV:}quota-available-bytes')?.status).to.equal(404);
    expect(answer?.props.has('{DAV:}getcontentlength')).to.equal(false);
    const infinite = await dav(web, 'PROPFIND', davUrl('/p/'), {});
    expect(infinite.status).to.equal(403);
    expect(infinite.text).to.include('propfind-finite-depth');
    expect((await dav(web, 'PROPFIND', davUrl('/p/nothing'), { Depth: '0' })).status).to.equal(404);
  });

  it('round-trips names with spaces, unicode, URL characters and NFD spellings in hrefs', async () => {
    const names = ['a b.txt', 'ünïcödé €.txt', '100% #1 ?&+;=.txt', "[x] {y} 'z' (w).txt", '日本語.txt'];
    await cluster.sdk.mkdir('/names');
    for (const name of names)
      expect((await dav(web, 'PUT', davUrl(`/names/${name}`), {}, name)).status).to.equal(201);
    const listing = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/names/'), { Depth: '1' })).text,
    ).slice(1);
    const decoded = listing.map((a) => decodeURIComponent(a.href.slice('/dav/names/'.length)));
    expect(decoded.sort()).to.deep.equal([...names].sort());
    for (const answer of listing) {
      expect(answer.href).to.match(/^[A-Za-z0-9\-_.!~*'()/%]+$/);
      const get = await dav(web, 'GET', answer.href);
      expect(get.text).to.equal(davProp(answer, 'displayname'));
    }
    // macOS sends names decomposed; dfs keeps them composed, and either spelling finds the file.
    const nfd = 'ünïcödé €.txt'.normalize('NFD');
    expect((await dav(web, 'GET', davUrl(`/names/${nfd}`))).text).to.equal('ünïcödé €.txt');
    // A folder listed under another spelling of its URL (decomposed, a needless escape, a
    // doubled slash) names its members under that spelling, as it names itself.
    await cluster.sdk.mkdir('/Café');
    await cluster.sdk.upload(['r'], '/Café/résumé.txt');
    await cluster.sdk.mkdir('/Café/sub');
    for (const spelling of ['/dav/Cafe%CC%81/', '/dav/%43af%C3%A9/', '/dav//Caf%C3%A9//']) {
      const answers = parseMultistatus((await dav(web, 'PROPFIND', spelling, { Depth: '1' })).text);
      const self = answers[0]?.href ?? '';
      expect(self.endsWith('/')).to.equal(true);
      expect(
        answers
          .slice(1)
          .map((a) => a.href)
          .sort(),
      ).to.deep.equal([`${self}r%C3%A9sum%C3%A9.txt`, `${self}sub/`].sort());
    }
  });

  it('keeps Windows Win32 properties with the file, without changing its ETag', async () => {
    await cluster.sdk.upload(['data'], '/w/file.docx');
    const before = (await cluster.sdk.stat('/w/file.docx')).generation;
    const reply = await dav(web, 'PROPPATCH', davUrl('/w/file.docx'), { 'Content-Type': 'text/xml' }, WIN32);
    expect(reply.status).to.equal(207);
    const [answer] = parseMultistatus(reply.text);
    expect([...(answer?.props.values() ?? [])].map((p) => p.status)).to.deep.equal([200, 200, 200, 200]);
    const info = await cluster.sdk.stat('/w/file.docx');
    expect(info.generation).to.equal(before);
    expect(Object.keys(info.attributes).filter((k) => k.startsWith('dav:'))).to.have.length(4);
    const found = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/w/file.docx'), { Depth: '0' })).text,
    )[0];
    expect(found?.props.get('{urn:schemas-microsoft-com:}Win32FileAttributes')?.text).to.equal('00000020');
    expect(davProp(found, 'getetag')).to.equal(`"g${before}"`);
    // A new version keeps them (they belong to the file), but not attributes of the old bytes.
    await cluster.sdk.api.setAttributes('/w/file.docx', { set: { md5: 'old-bytes' }, remove: [] });
    expect((await dav(web, 'PUT', davUrl('/w/file.docx'), {}, 'new bytes')).status).to.equal(204);
    const next = await cluster.sdk.stat('/w/file.docx');
    expect(next.generation).to.be.greaterThan(before);
    expect(Object.keys(next.attributes).sort()).to.deep.equal(Object.keys(info.attributes).sort());
    // Folders take them too (Explorer sets them after MKCOL).
    await cluster.sdk.upload(['x'], '/w/implied/x.txt');
    const dir = await dav(web, 'PROPPATCH', davUrl('/w/implied/'), {}, WIN32);
    expect(dir.status).to.equal(207);
    expect(dir.text).not.to.match(/HTTP\/1\.1 [45]/);
  });

  it('stores dead properties in their namespaces, removes them, and refuses protected ones as a whole', async () => {
    await cluster.sdk.upload(['p'], '/d/props.txt');
    const set = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:color xmlns:x="urn:a">red</x:color><y:color xmlns:y="urn:b"><y:v a="1">blue &amp; green</y:v></y:color></D:prop></D:set></D:propertyupdate>`;
    expect((await dav(web, 'PROPPATCH', davUrl('/d/props.txt'), {}, set)).status).to.equal(207);
    const ask = `<D:propfind xmlns:D="DAV:"><D:prop><a:color xmlns:a="urn:a"/><b:color xmlns:b="urn:b"/></D:prop></D:propfind>`;
    const [got] = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/d/props.txt'), { Depth: '0' }, ask)).text,
    );
    expect(got?.props.get('{urn:a}color')?.text).to.equal('red');
    expect(
      got?.props.get('{urn:b}color')?.element.getElementsByTagNameNS('urn:b', 'v')[0]?.getAttribute('a'),
    ).to.equal('1');
    expect(got?.props.get('{urn:b}color')?.text).to.equal('blue & green');
    const mixed = `<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><x:color xmlns:x="urn:a"/></D:prop></D:remove><D:set><D:prop><D:getetag>"mine"</D:getetag></D:prop></D:set></D:propertyupdate>`;
    const [refused] = parseMultistatus((await dav(web, 'PROPPATCH', davUrl('/d/props.txt'), {}, mixed)).text);
    expect(refused?.props.get('{DAV:}getetag')?.status).to.equal(403);
    expect(refused?.props.get('{urn:a}color')?.status).to.equal(424);
    const remove = `<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><x:color xmlns:x="urn:a"/></D:prop></D:remove></D:propertyupdate>`;
    expect((await dav(web, 'PROPPATCH', davUrl('/d/props.txt'), {}, remove)).status).to.equal(207);
    const { attributes } = await cluster.sdk.stat('/d/props.txt');
    expect(Object.keys(attributes).sort()).to.deep.equal(['dav:{urn:b}color']);
  });

  it('keeps the dead properties of a copied folder and of the folders below it (COPY Depth infinity)', async () => {
    await cluster.sdk.upload(['x'], '/cpf/src/sub/x.txt');
    const set = (value: string) =>
      `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:color xmlns:x="urn:a">${value}</x:color></D:prop></D:set></D:propertyupdate>`;
    expect((await dav(web, 'PROPPATCH', davUrl('/cpf/src/'), {}, set('red'))).status).to.equal(207);
    expect((await dav(web, 'PROPPATCH', davUrl('/cpf/src/sub/'), {}, set('blue'))).status).to.equal(207);
    const destination = `http://${new URL(web).host}${davUrl('/cpf/copy/')}`;
    const copy = await dav(web, 'COPY', davUrl('/cpf/src/'), { Destination: destination, Depth: 'infinity' });
    expect(copy.status).to.equal(201);
    const ask = `<D:propfind xmlns:D="DAV:"><D:prop><a:color xmlns:a="urn:a"/></D:prop></D:propfind>`;
    const found = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/cpf/copy/'), { Depth: '1' }, ask)).text,
    );
    expect(found.map((a) => [a.href, a.props.get('{urn:a}color')?.text])).to.deep.equal([
      ['/dav/cpf/copy/', 'red'],
      ['/dav/cpf/copy/sub/', 'blue'],
    ]);
  });

  it('streams a Depth 1 listing of a folder larger than one listing page', async () => {
    // Pages of 100 (the web client asks for 1,000): 250 files make three pages.
    const count = 250;
    const server = await startDavServer({ sdk: cluster.sdk, token: '', log: () => {}, listPage: 100 });
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        cluster.sdk.upload([], `/big/file ${String(i).padStart(5, '0')}.txt`),
      ),
    );
    const reply = await dav(
      server.url,
      'PROPFIND',
      davUrl('/big/'),
      { Depth: '1' },
      propfindBody('getcontentlength'),
    );
    await server.close();
    expect(reply.status).to.equal(207);
    expect(reply.headers['transfer-encoding']).to.equal('chunked');
    const hrefs = parseMultistatus(reply.text).map((a) => a.href);
    expect(hrefs).to.have.length(count + 1);
    expect(new Set(hrefs).size).to.equal(count + 1);
    expect(hrefs.at(-1)).to.equal(davUrl(`/big/file ${String(count - 1).padStart(5, '0')}.txt`));
  });
});
