// What a path is (file, folder, nothing — and whether its parent could hold it), found with a
// stat and a listing of the parent; the live-property view of listing rows; dead properties in
// attributes; the stored content type and the exact-length body guard of PUT.

import { expect } from 'chai';
import { attributeChange, deadPropsOf, otherAttributesSize } from '../../src/dav/dead-props.js';
import { storedType } from '../../src/dav/handle-put.js';
import { applyProppatch } from '../../src/dav/proppatch.js';
import { entryResource, etagOf, type Lister, resolvePath } from '../../src/dav/resources.js';
import { DfsError } from '../../src/protocol/errors.js';
import type { FileInfo, ListEntry, ListResponse } from '../../src/protocol/types.js';

const file = (path: string): ListEntry => ({
  type: 'file',
  path,
  name: path.slice(path.lastIndexOf('/') + 1),
  size: 3,
  created: 1000,
  generation: 4,
  contentType: 'text/plain',
  attributes: {},
});
const dir = (path: string, created = 0): ListEntry => ({
  type: 'dir',
  path,
  name: path.slice(0, -1).slice(path.slice(0, -1).lastIndexOf('/') + 1),
  size: 0,
  created,
});

/** A lister over `entries` (sorted as the master sorts), paging by `page`; stat finds files. */
function fakeLister(
  entries: ListEntry[],
  options: { page?: number; missing?: string[]; files?: string[] } = {},
) {
  const calls: string[] = [];
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const lister: Lister = {
    async stat(path: string): Promise<FileInfo> {
      calls.push(`stat ${path}`);
      if (options.files?.includes(path)) {
        const info: FileInfo = {
          path,
          size: 3,
          sha256: '',
          generation: 4,
          created: 1000,
          contentType: 'text/plain',
          metadata: {},
          attributes: {},
          replication: 1,
          minReplicas: 1,
          chunks: [],
        };
        return info;
      }
      throw new DfsError('not_found', `not found: ${path}`);
    },
    async list(prefix = '/', query = {}): Promise<ListResponse> {
      calls.push(`list ${prefix} ${query.begins ?? ''} ${query.after ?? ''}`);
      if (options.missing?.includes(prefix)) throw new DfsError('not_found', `not found: ${prefix}`);
      if (options.files?.includes(prefix.slice(0, -1))) throw new DfsError('conflict', 'is a file');
      const start = `${prefix}${query.begins ?? ''}`;
      const from = query.after ? Number(query.after) : 0;
      const matching = sorted.filter((e) => e.path.startsWith(start) && e.path !== start);
      const page = matching.slice(from, from + (options.page ?? 100));
      const next = from + page.length < matching.length ? String(from + page.length) : undefined;
      return { prefix, entries: page, ...(next && { next }) };
    },
  };
  return { lister, calls };
}

describe('dav resources', () => {
  it('finds a file by its manifest in one round trip', async () => {
    const { lister, calls } = fakeLister([], { files: ['/a/f.txt'] });
    const found = await resolvePath(lister, '/a/f.txt');
    expect(found.kind).to.equal('file');
    expect(calls).to.deep.equal(['stat /a/f.txt']);
  });

  it('finds a folder behind longer names that sort before it, across pages', async () => {
    const names = ['a b', 'a-1', 'a.txt', 'a (2)', 'a!'].map((n) => file(`/p/${n}`));
    const { lister, calls } = fakeLister([...names, dir('/p/a/', 5), file('/p/ab')], { page: 2 });
    const found = await resolvePath(lister, '/p/a');
    expect(found).to.deep.include({ kind: 'folder', path: '/p/a' });
    expect(calls.filter((c) => c.startsWith('list'))).to.have.length(3);
  });

  it('tells a missing path whose parent is a folder, is missing, or is a file', async () => {
    const { lister } = fakeLister([file('/p/ab'), dir('/p/b/')], { missing: ['/q/'], files: ['/f'] });
    expect(await resolvePath(lister, '/p/a')).to.deep.equal({
      kind: 'missing',
      path: '/p/a',
      parent: 'folder',
    });
    expect(await resolvePath(lister, '/q/x')).to.deep.equal({
      kind: 'missing',
      path: '/q/x',
      parent: 'missing',
    });
    expect(await resolvePath(lister, '/f/x')).to.deep.equal({
      kind: 'missing',
      path: '/f/x',
      parent: 'file',
    });
    expect(await resolvePath(lister, '/')).to.deep.equal({ kind: 'folder', path: '/' });
  });

  it('views files and folders as DAV resources, an implied folder without dates', () => {
    expect(entryResource(file('/a/f'))).to.deep.equal({
      path: '/a/f',
      collection: false,
      size: 3,
      contentType: 'text/plain',
      etag: '"g4"',
      modified: 1000,
      created: 1000,
    });
    expect(entryResource(dir('/a/d/', 9))).to.deep.equal({
      path: '/a/d',
      collection: true,
      created: 9,
      modified: 9,
    });
    expect(entryResource(dir('/a/d/'))).to.deep.equal({ path: '/a/d', collection: true });
    expect(etagOf(12)).to.equal('"g12"');
    expect(etagOf(undefined)).to.equal(undefined);
  });
});

describe('dav dead properties in attributes', () => {
  const attributes = {
    md5: 'abc',
    'dav:{urn:x}color': '<color xmlns="urn:x">red</color>',
    'dav:broken': 'x',
    'cache-control': 'no-cache',
  };

  it('reads only well-formed keys under the dav: prefix, and sizes the others', () => {
    expect(deadPropsOf(attributes)).to.deep.equal({ '{urn:x}color': '<color xmlns="urn:x">red</color>' });
    expect(deadPropsOf(undefined)).to.deep.equal({});
    expect(otherAttributesSize(attributes)).to.equal('md5abc'.length + 'cache-controlno-cache'.length);
  });

  it('turns a PROPPATCH into the attributes to set and remove, whatever was stored before', () => {
    const ops = [
      { op: 'set' as const, name: { ns: 'urn:x', local: 'a' }, xml: '<a xmlns="urn:x">1</a>' },
      { op: 'remove' as const, name: { ns: 'urn:x', local: 'b' } },
      { op: 'set' as const, name: { ns: 'urn:x', local: 'b' }, xml: '<b xmlns="urn:x"/>' },
      { op: 'remove' as const, name: { ns: 'urn:x', local: 'a' } },
    ];
    const outcome = applyProppatch(ops, {});
    expect(attributeChange(ops, outcome.dead)).to.deep.equal({
      set: { 'dav:{urn:x}b': '<b xmlns="urn:x"/>' },
      remove: ['dav:{urn:x}a'],
    });
  });

  it('refuses with 507 a name the store cannot key, or properties beyond its budget', () => {
    const long = { op: 'set' as const, name: { ns: `urn:${'n'.repeat(600)}`, local: 'p' }, xml: '<p/>' };
    const limits = { totalBytes: 100, keyPrefix: 'dav:', maxKeyChars: 512 };
    expect(applyProppatch([long], {}, limits).propstats[0]?.status).to.equal(507);
    const big = { op: 'set' as const, name: { ns: 'urn:x', local: 'p' }, xml: `<p>${'x'.repeat(90)}</p>` };
    const outcome = applyProppatch([big], {}, limits);
    expect(outcome.ok).to.equal(false);
    expect(outcome.propstats[0]?.status).to.equal(507);
    expect(applyProppatch([big], {}, { ...limits, totalBytes: 200 }).ok).to.equal(true);
  });
});

describe('dav PUT helpers', () => {
  it('stores the type a name suggests, the client’s only for unknown names', () => {
    expect(storedType('/a/photo.JPG', 'application/octet-stream')).to.equal('image/jpeg');
    expect(storedType('/a/data.weird', 'application/x-weird')).to.equal('application/x-weird');
    expect(storedType('/a/data.weird', 'not a type')).to.equal('application/octet-stream');
    expect(storedType('/a/noext', '')).to.equal('application/octet-stream');
  });
});
