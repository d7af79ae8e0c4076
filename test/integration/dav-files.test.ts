// WebDAV on a real cluster, file by file: PUT in every framing clients use (and a body that
// stops short commits nothing), GET/HEAD with Range and conditions, MKCOL, DELETE, COPY, MOVE.

import { expect } from 'chai';
import { frame, head, putExpecting, raw, send } from '../helpers/adversary.js';
import { collect, randomData, sha256, startCluster, type TestCluster } from '../helpers/cluster.js';
import { dav, davUrl } from '../helpers/dav-http.js';

describe('dav: files', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let web: string;

  before(async () => {
    cluster = await startCluster({ nodes: 2, webClient: true });
    web = cluster.client?.url as string;
  });

  after(async () => {
    await cluster?.close();
  });

  const bytesOf = async (path: string) => collect(cluster.sdk.download(path));
  const exists = (path: string) =>
    cluster.sdk.stat(path).then(
      () => true,
      () => false,
    );

  describe('PUT', () => {
    before(async () => {
      await cluster.sdk.mkdir('/put');
    });

    it('stores a body with Content-Length: 201 new, 204 replaced, an ETag from the generation', async () => {
      const data = randomData(300_000);
      const first = await dav(web, 'PUT', davUrl('/put/a.bin'), {}, data);
      expect(first.status).to.equal(201);
      const info = await cluster.sdk.stat('/put/a.bin');
      expect(first.headers.etag).to.equal(`"g${info.generation}"`);
      expect(info.sha256).to.equal(sha256(data));
      const second = await dav(web, 'PUT', davUrl('/put/a.bin'), {}, 'v2');
      expect(second.status).to.equal(204);
      expect((await bytesOf('/put/a.bin')).toString()).to.equal('v2');
    });

    it('stores a chunked body, and a chunked body with X-Expected-Entity-Length (Finder)', async () => {
      const data = randomData(200_000);
      const pieces = [data.subarray(0, 70_000), data.subarray(70_000)];
      for (const [name, extra] of [
        ['chunked.bin', {}],
        ['finder.bin', { 'X-Expected-Entity-Length': data.length }],
      ] as const) {
        const reply = await raw(web, [
          head('PUT', davUrl(`/put/${name}`), {
            'Transfer-Encoding': 'chunked',
            Connection: 'close',
            ...extra,
          }),
          ...pieces.map(frame),
          frame(''),
        ]);
        expect(reply.status, name).to.equal(201);
        expect(sha256(await bytesOf(`/put/${name}`)), name).to.equal(sha256(data));
      }
    });

    it('commits nothing when the body stops short of its declared length', async () => {
      const cut = await raw(
        web,
        [head('PUT', davUrl('/put/short.bin'), { 'Content-Length': 100_000 }), randomData(40_000)],
        { halfClose: true },
      );
      expect(cut.status).to.be.oneOf([0, 400]);
      const lying = await raw(web, [
        head('PUT', davUrl('/put/long.bin'), {
          'Transfer-Encoding': 'chunked',
          'X-Expected-Entity-Length': 10,
          Connection: 'close',
        }),
        frame(randomData(50)),
        frame(''),
      ]);
      expect(lying.status).to.equal(400);
      expect(await exists('/put/short.bin')).to.equal(false);
      expect(await exists('/put/long.bin')).to.equal(false);
    });

    it('needs a parent folder (409), is refused on a folder (405), and honours If-Match / If-None-Match', async () => {
      expect((await dav(web, 'PUT', davUrl('/nowhere/x.txt'), {}, 'x')).status).to.equal(409);
      expect((await dav(web, 'PUT', davUrl('/put'), {}, 'x')).status).to.equal(405);
      expect((await dav(web, 'PUT', davUrl('/put/a.bin'), { 'If-None-Match': '*' }, 'no')).status).to.equal(
        412,
      );
      expect((await dav(web, 'PUT', davUrl('/put/a.bin'), { 'If-Match': '"g1"' }, 'no')).status).to.equal(
        412,
      );
      const { generation } = await cluster.sdk.stat('/put/a.bin');
      const ok = await dav(web, 'PUT', davUrl('/put/a.bin'), { 'If-Match': `"g${generation}"` }, 'yes');
      expect(ok.status).to.equal(204);
      expect((await dav(web, 'PUT', davUrl('/put/new.txt'), { 'If-None-Match': '*' }, 'n')).status).to.equal(
        201,
      );
      // If-Unmodified-Since before the file's time: 412 for a write, and nothing changes.
      const stale = { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' };
      for (const method of ['PUT', 'DELETE', 'PROPPATCH'])
        expect(
          (await dav(web, method, davUrl('/put/a.bin'), stale, method === 'PUT' ? 'late' : undefined)).status,
          method,
        ).to.equal(412);
      expect((await bytesOf('/put/a.bin')).toString()).to.equal('yes');
    });

    it('answers a PUT refused on its headers before its body: no 100 Continue (Expect: 100-continue)', async () => {
      const put = (path: string) =>
        putExpecting(web, davUrl(path), { 'Content-Length': 4, Expect: '100-continue' }, 'body');
      expect(await put('/nowhere/expect.txt')).to.deep.equal({ status: 409, continued: false });
      expect(await put('/put/expect.txt')).to.deep.equal({ status: 201, continued: true });
      expect((await bytesOf('/put/expect.txt')).toString()).to.equal('body');
    });
  });

  describe('GET and HEAD', () => {
    const data = randomData(150_000);
    before(async () => {
      await cluster.sdk.upload([data], '/get/report final.pdf');
    });

    it('serves the bytes with type, length, ETag and Last-Modified; HEAD the same headers', async () => {
      const get = await dav(web, 'GET', davUrl('/get/report final.pdf'));
      expect(get.status).to.equal(200);
      expect(sha256(get.body)).to.equal(sha256(data));
      expect(get.headers['content-type']).to.equal('application/pdf');
      expect(get.headers['accept-ranges']).to.equal('bytes');
      expect(get.headers['content-security-policy']).to.match(/(^|; )sandbox$/);
      const headReply = await dav(web, 'HEAD', davUrl('/get/report final.pdf'));
      expect(headReply.status).to.equal(200);
      expect(headReply.body.length).to.equal(0);
      for (const name of [
        'content-length',
        'etag',
        'last-modified',
        'content-type',
        'content-security-policy',
      ]) {
        expect(headReply.headers[name], name).to.equal(get.headers[name]);
      }
    });

    it('serves a Range as 206, refuses an unsatisfiable one with 416, and answers If-None-Match with 304', async () => {
      const part = await dav(web, 'GET', davUrl('/get/report final.pdf'), { Range: 'bytes=100-65635' });
      expect(part.status).to.equal(206);
      expect(part.headers['content-range']).to.equal(`bytes 100-65635/${data.length}`);
      expect(part.body.equals(data.subarray(100, 65_636))).to.equal(true);
      const tail = await dav(web, 'GET', davUrl('/get/report final.pdf'), { Range: 'bytes=-10' });
      expect(tail.body.equals(data.subarray(-10))).to.equal(true);
      const outside = await dav(web, 'GET', davUrl('/get/report final.pdf'), { Range: 'bytes=999999-' });
      expect(outside.status).to.equal(416);
      expect(outside.headers['content-range']).to.equal(`bytes */${data.length}`);
      const etag = String(part.headers.etag);
      expect(
        (await dav(web, 'GET', davUrl('/get/report final.pdf'), { 'If-None-Match': etag })).status,
      ).to.equal(304);
      const stale = await dav(web, 'GET', davUrl('/get/report final.pdf'), {
        Range: 'bytes=0-9',
        // A version this file never had (generations start at 1).
        'If-Range': '"g0"',
      });
      expect(stale.status).to.equal(200);
    });

    it('answers 404 for nothing, and a folder with an HTML index whose links are escaped', async () => {
      expect((await dav(web, 'GET', davUrl('/get/missing'))).status).to.equal(404);
      await cluster.sdk.upload(['x'], '/get/<b>&"x".txt');
      const index = await dav(web, 'GET', davUrl('/get'));
      expect(index.status).to.equal(200);
      expect(index.headers['content-type']).to.match(/^text\/html/);
      expect(index.text).to.include('&#60;b&#62;&#38;&#34;x&#34;.txt');
      expect(index.text).not.to.include('<b>');
      expect(index.text).to.include(`href="${davUrl('/get/report final.pdf')}"`);
      // A finished page: the pages' frame and stylesheet, and a note for an empty folder.
      expect(index.text).to.include('<html lang="en">');
      expect(index.text).to.include('<meta name="viewport"');
      expect(index.text).to.include('<link rel="stylesheet" href="/assets/style.css">');
      await cluster.sdk.mkdir('/get/nothing');
      expect((await dav(web, 'GET', davUrl('/get/nothing/'))).text).to.include('This folder is empty.');
      // The parent link leads to the parent whether the folder's URL ends in its slash or not.
      for (const url of [davUrl('/get/nothing'), davUrl('/get/nothing/')])
        expect((await dav(web, 'GET', url)).text, url).to.include(`<a href="${davUrl('/get')}/">../</a>`);
      expect((await dav(web, 'GET', davUrl('/get'))).text).to.include(`<a href="${davUrl('/')}">../</a>`);
    });
    it("a file's name with a trailing slash names a folder: 404 to read, delete or move it, 409 to PUT, LOCK or copy onto it, 405 to MKCOL", async () => {
      await cluster.sdk.upload(['kept'], '/slash/f.txt');
      const url = `${davUrl('/slash/f.txt')}/`;
      for (const method of ['GET', 'HEAD', 'DELETE', 'PROPPATCH']) {
        const body =
          method === 'PROPPATCH' ? '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"/>' : undefined;
        const answer = await dav(web, method, url, {}, body);
        expect(answer.status, method).to.equal(404);
        if (method !== 'HEAD') expect(answer.text, method).to.include('/slash/f.txt is a file, not a folder');
      }
      const missing = await dav(web, 'GET', davUrl('/slash/none/'));
      expect([missing.status, missing.text]).to.deep.equal([404, 'not found: /slash/none/\n']);
      expect((await dav(web, 'PROPFIND', url, { Depth: '0' })).status).to.equal(404);
      const move = await dav(web, 'MOVE', url, { Destination: davUrl('/slash/g.txt') });
      expect(move.status).to.equal(404);
      expect((await dav(web, 'PUT', url, {}, 'replaced')).status).to.equal(409);
      const lock = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;
      expect((await dav(web, 'LOCK', url, { Timeout: 'Second-60' }, lock)).status).to.equal(409);
      expect((await dav(web, 'MKCOL', url)).status).to.equal(405);
      // Nor is it a destination: COPY or MOVE onto `f.txt/` would replace the file.
      await cluster.sdk.upload(['other'], '/slash/other.txt');
      for (const method of ['COPY', 'MOVE']) {
        const onto = await dav(web, method, davUrl('/slash/other.txt'), { Destination: url, Overwrite: 'T' });
        expect(onto.status, method).to.equal(409);
      }
      expect(await exists('/slash/other.txt')).to.equal(true);
      // A free name with a slash is a folder's too: a LOCK, COPY or MOVE of a file there makes no file.
      const free = `${davUrl('/slash/free')}/`;
      expect((await dav(web, 'LOCK', free, { Timeout: 'Second-60' }, lock)).status).to.equal(409);
      for (const method of ['COPY', 'MOVE']) {
        const onto = await dav(web, method, davUrl('/slash/other.txt'), { Destination: free });
        expect([onto.status, onto.text], method).to.deep.equal([
          409,
          '/slash/free/ names a folder: a file goes to its name without a trailing /\n',
        ]);
      }
      expect(await exists('/slash/free')).to.equal(false);
      expect(await exists('/slash/other.txt')).to.equal(true);
      // A folder's URL with its slash stays a folder: a PUT there is 405, as without it.
      await cluster.sdk.mkdir('/slash/dir');
      expect((await dav(web, 'PUT', `${davUrl('/slash/dir')}/`, {}, 'x')).status).to.equal(405);
      // Untouched, and still served at its own name.
      expect((await bytesOf('/slash/f.txt')).toString()).to.equal('kept');
      expect((await dav(web, 'GET', davUrl('/slash/f.txt'))).text).to.equal('kept');
      expect(await exists('/slash/g.txt')).to.equal(false);
    });
  });

  describe('folders', () => {
    it('MKCOL makes an empty folder: 201, then 405; 409 without a parent; 415 with a body', async () => {
      expect((await dav(web, 'MKCOL', davUrl('/mk/'))).status).to.equal(201);
      expect((await dav(web, 'MKCOL', davUrl('/mk'))).status).to.equal(405);
      expect((await dav(web, 'MKCOL', davUrl('/no/such/parent'))).status).to.equal(409);
      expect(
        (await dav(web, 'MKCOL', davUrl('/mk/body'), { 'Content-Type': 'text/xml' }, '<x/>')).status,
      ).to.equal(415);
      const listing = await cluster.sdk.list('/', { delimiter: true });
      expect(listing.entries.map((e) => e.path)).to.include('/mk/');
    });

    it('DELETE removes a file, and a whole folder at once; the folder of a deleted last file stays', async () => {
      await cluster.sdk.upload(['1'], '/del/tree/a/1.txt');
      await cluster.sdk.upload(['2'], '/del/tree/b/2.txt');
      await cluster.sdk.upload(['3'], '/del/only/last.txt');
      expect((await dav(web, 'DELETE', davUrl('/del/only/last.txt'))).status).to.equal(204);
      expect((await dav(web, 'PROPFIND', davUrl('/del/only/'), { Depth: '0' })).status).to.equal(207);
      expect((await dav(web, 'DELETE', davUrl('/del/tree/'))).status).to.equal(204);
      expect(await exists('/del/tree/a/1.txt')).to.equal(false);
      expect((await cluster.sdk.list('/del/', { delimiter: true })).entries.map((e) => e.path)).to.deep.equal(
        ['/del/only/'],
      );
      expect((await dav(web, 'DELETE', davUrl('/del/tree/'))).status).to.equal(404);
      expect((await dav(web, 'DELETE', '/dav/')).status).to.equal(403);
      expect((await dav(web, 'DELETE', davUrl('/del/only'), { Depth: '0' })).status).to.equal(400);
    });

    it('DELETE refused by its conditions (412) changes nothing: an implied parent folder stays implied', async () => {
      await cluster.sdk.upload(['x'], '/implied/only.txt');
      const parentRow = async () =>
        (await cluster.sdk.list('/', { delimiter: true })).entries.find((e) => e.path === '/implied/');
      expect((await parentRow())?.created).to.equal(0);
      const refused = await dav(web, 'DELETE', davUrl('/implied/only.txt'), { 'If-Match': '"g999999"' });
      expect(refused.status).to.equal(412);
      expect(await exists('/implied/only.txt')).to.equal(true);
      expect((await parentRow())?.created).to.equal(0);
    });
  });

  describe('COPY and MOVE', () => {
    const host = () => new URL(web).host;
    const destination = (path: string) => ({ Destination: `http://${host()}${davUrl(path)}` });

    it('COPY of a file is a new manifest over the same chunks, with its dead properties', async () => {
      await cluster.sdk.upload([randomData(200_000)], '/cp/src.bin', {
        attributes: { 'dav:{urn:x}p': '<p/>' },
      });
      const reply = await dav(web, 'COPY', davUrl('/cp/src.bin'), destination('/cp/copy.bin'));
      expect(reply.status).to.equal(201);
      const [a, b] = await Promise.all([cluster.sdk.stat('/cp/src.bin'), cluster.sdk.stat('/cp/copy.bin')]);
      expect(b.chunks.map((c) => c.id)).to.deep.equal(a.chunks.map((c) => c.id));
      expect(b.generation).to.be.greaterThan(a.generation);
      expect(b.attributes['dav:{urn:x}p']).to.equal('<p/>');
      const again = await dav(web, 'COPY', davUrl('/cp/src.bin'), {
        ...destination('/cp/copy.bin'),
        Overwrite: 'F',
      });
      expect(again.status).to.equal(412);
      expect((await dav(web, 'COPY', davUrl('/cp/src.bin'), destination('/cp/copy.bin'))).status).to.equal(
        204,
      );
    });

    it('COPY of a folder copies everything below it (Depth infinity) or the folder alone (Depth 0)', async () => {
      await cluster.sdk.upload(['one'], '/cpd/src/1.txt');
      await cluster.sdk.upload(['two'], '/cpd/src/deep/er/2.txt');
      await cluster.sdk.mkdir('/cpd/src/empty');
      expect((await dav(web, 'COPY', davUrl('/cpd/src/'), destination('/cpd/all/'))).status).to.equal(201);
      const copied = [];
      for await (const e of cluster.sdk.listAll('/cpd/all/')) copied.push(e.path);
      expect(copied).to.deep.equal(['/cpd/all/1.txt', '/cpd/all/deep/er/2.txt']);
      expect(
        (await cluster.sdk.list('/cpd/all/', { delimiter: true })).entries.map((e) => e.name),
      ).to.include('empty');
      expect(
        (await dav(web, 'COPY', davUrl('/cpd/src'), { ...destination('/cpd/shallow'), Depth: '0' })).status,
      ).to.equal(201);
      expect((await cluster.sdk.list('/cpd/shallow/', { delimiter: true })).entries).to.deep.equal([]);
    });

    it('MOVE renames a file, and a whole folder in one step; below itself, a missing parent and another host are refused', async () => {
      for (let i = 0; i < 20; i++) await cluster.sdk.upload([`f${i}`], `/mv/src/f${i}.txt`);
      expect((await dav(web, 'MOVE', davUrl('/mv/src/'), destination('/mv/dst/'))).status).to.equal(201);
      const moved = [];
      for await (const e of cluster.sdk.listAll('/mv/')) moved.push(e.path);
      expect(moved).to.have.length(20);
      expect(moved.every((p) => p.startsWith('/mv/dst/'))).to.equal(true);
      expect((await bytesOf('/mv/dst/f7.txt')).toString()).to.equal('f7');
      expect(
        (await dav(web, 'MOVE', davUrl('/mv/dst/f1.txt'), destination('/mv/dst/one.txt'))).status,
      ).to.equal(201);
      expect(await exists('/mv/dst/f1.txt')).to.equal(false);
      expect((await dav(web, 'MOVE', davUrl('/mv/dst'), destination('/mv/dst/inside'))).status).to.equal(403);
      expect((await dav(web, 'MOVE', davUrl('/mv/dst/f3.txt'), destination('/mv'))).status).to.equal(403);
      expect((await dav(web, 'COPY', davUrl('/mv/dst/f3.txt'), destination('/mv/dst'))).status).to.equal(403);
      expect((await dav(web, 'MOVE', davUrl('/mv/dst/f2.txt'), destination('/elsewhere/x'))).status).to.equal(
        409,
      );
      const foreign = { Destination: `http://other.example${davUrl('/mv/x')}` };
      expect((await dav(web, 'MOVE', davUrl('/mv/dst/f2.txt'), foreign)).status).to.equal(502);
      // Dot segments are resolved as a URL's (RFC 3986 §5.2.4); resolved out of the tree, 502.
      const dotted = { Destination: `${web}${davUrl('/mv/dst/../dst/./dotted.txt')}` };
      expect((await dav(web, 'MOVE', davUrl('/mv/dst/f2.txt'), dotted)).status).to.equal(201);
      expect(await exists('/mv/dst/dotted.txt')).to.equal(true);
      const out = { Destination: `${web}${davUrl('/../outside.txt')}` };
      expect((await dav(web, 'MOVE', davUrl('/mv/dst/dotted.txt'), out)).status).to.equal(502);
      // Onto a folder that holds the source with Overwrite: F (403 above without): it exists, 412.
      expect(
        (await dav(web, 'MOVE', davUrl('/mv/dst/dotted.txt'), { ...destination('/mv'), Overwrite: 'F' }))
          .status,
      ).to.equal(412);
    });

    it('MOVE with Overwrite replaces a folder by a file and a file by a folder', async () => {
      await cluster.sdk.upload(['file'], '/ow/file.txt');
      await cluster.sdk.upload(['inner'], '/ow/dir/inner.txt');
      expect((await dav(web, 'MOVE', davUrl('/ow/file.txt'), destination('/ow/dir'))).status).to.equal(204);
      expect((await bytesOf('/ow/dir')).toString()).to.equal('file');
      expect(await exists('/ow/dir/inner.txt')).to.equal(false);
      await cluster.sdk.upload(['again'], '/ow/dir2/x.txt');
      expect((await dav(web, 'MOVE', davUrl('/ow/dir2'), destination('/ow/dir'))).status).to.equal(204);
      expect((await bytesOf('/ow/dir/x.txt')).toString()).to.equal('again');
    });

    it('checks If-Match on MOVE, COPY, PROPPATCH and a folder DELETE too (412, nothing changed)', async () => {
      await cluster.sdk.upload(['c'], '/cond/f.txt');
      const { generation } = await cluster.sdk.stat('/cond/f.txt');
      const stale = { 'If-Match': '"g1"' };
      expect(
        (await dav(web, 'MOVE', davUrl('/cond/f.txt'), { ...destination('/cond/g.txt'), ...stale })).status,
      ).to.equal(412);
      expect(
        (await dav(web, 'COPY', davUrl('/cond/f.txt'), { ...destination('/cond/h.txt'), ...stale })).status,
      ).to.equal(412);
      const proppatch = `<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:x="urn:x"><d:set><d:prop><x:c>1</x:c></d:prop></d:set></d:propertyupdate>`;
      expect((await dav(web, 'PROPPATCH', davUrl('/cond/f.txt'), stale, proppatch)).status).to.equal(412);
      // A folder has no entity tag: only If-Match: * holds.
      expect((await dav(web, 'DELETE', davUrl('/cond/'), stale)).status).to.equal(412);
      expect([
        await exists('/cond/f.txt'),
        await exists('/cond/g.txt'),
        await exists('/cond/h.txt'),
      ]).to.deep.equal([true, false, false]);
      expect((await cluster.sdk.stat('/cond/f.txt')).attributes).to.deep.equal({});
      const current = { 'If-Match': `"g${generation}"` };
      expect(
        (await dav(web, 'MOVE', davUrl('/cond/f.txt'), { ...destination('/cond/g.txt'), ...current })).status,
      ).to.equal(201);
      expect((await dav(web, 'DELETE', davUrl('/cond/'), { 'If-Match': '*' })).status).to.equal(204);
    });

    it('judges If-Unmodified-Since on a folder by its creation; an implied folder has none and ignores it', async () => {
      const stale = { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' };
      expect((await dav(web, 'MKCOL', davUrl('/since/'))).status).to.equal(201);
      await cluster.sdk.upload(['f'], '/since/f.txt');
      expect((await dav(web, 'DELETE', davUrl('/since/'), stale)).status).to.equal(412);
      expect(
        (await dav(web, 'MOVE', davUrl('/since/'), { ...destination('/since-moved/'), ...stale })).status,
      ).to.equal(412);
      expect(await exists('/since/f.txt')).to.equal(true);
      const later = { 'If-Unmodified-Since': new Date(Date.now() + 86_400_000).toUTCString() };
      expect((await dav(web, 'DELETE', davUrl('/since/'), later)).status).to.equal(204);
      await cluster.sdk.upload(['i'], '/implied-since/i.txt');
      expect((await dav(web, 'DELETE', davUrl('/implied-since/'), stale)).status).to.equal(204);
      expect(await exists('/implied-since/i.txt')).to.equal(false);
    });

    it('refuses a folder MOVE the store would refuse before it deletes the destination it replaces', async () => {
      // A path below the folder that the longer destination name would take past 1024 bytes.
      const deep = `/ml/s/${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(200)}/${'g'.repeat(200)}/${'h'.repeat(190)}`;
      await cluster.sdk.upload(['deep'], deep);
      const kept = `/${'k'.repeat(40)}`;
      await cluster.sdk.upload(['IMPORTANT'], kept);
      const answer = await dav(web, 'MOVE', davUrl('/ml/s'), destination(kept));
      expect(answer.status).to.equal(400);
      expect((await bytesOf(kept)).toString()).to.equal('IMPORTANT');
      expect(await exists(deep)).to.equal(true);
    });
  });

  it('is open without a token, but not to a DNS-rebound host name or another origin', async () => {
    expect((await dav(web, 'PROPFIND', '/dav/', { Depth: '0' })).status).to.equal(207);
    expect((await dav(web, 'PROPFIND', '/dav/', { Depth: '0', Host: 'evil.example' })).status).to.equal(403);
    const foreign = { Origin: 'http://evil.example' };
    expect((await dav(web, 'MKCOL', davUrl('/from-evil'), foreign)).status).to.equal(403);
    const listing = await cluster.sdk.list('/', { delimiter: true });
    expect(listing.entries.map((e) => e.path)).not.to.include('/from-evil/');
  });

  it('answers OPTIONS on /dav/ and on the server root with the WebDAV headers', async () => {
    for (const target of ['/dav/', '/']) {
      const reply = await send(web, 'OPTIONS', target);
      expect(reply.status, target).to.equal(200);
      expect(reply.headers.dav, target).to.equal('1, 2');
      expect(reply.headers['ms-author-via'], target).to.equal('DAV');
      expect(String(reply.headers.allow), target).to.include('PROPFIND');
    }
    // The pages are unchanged.
    expect((await send(web, 'GET', '/')).status).to.equal(200);
  });
});
