// Pure pieces of the CLI's tree transfers: where a remote name lands locally, --parallel, and
// how a path with control characters is printed.

import path from 'node:path';
import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import { cannotRead, shown, UnreadableFile } from '../../src/cli/local-errors.js';
import { localPathFor } from '../../src/cli/local-path.js';
import { parseParallel, tuned } from '../../src/cli/parallel.js';
import { DfsError } from '../../src/protocol/errors.js';

describe('CLI names and options', () => {
  it('maps a remote file below the folder to a path inside LOCAL_DIR', () => {
    expect(localPathFor('/home/u/out', 'out', '/r/', '/r/a/b c.txt')).to.deep.equal({
      local: '/home/u/out/a/b c.txt',
      shown: path.join('out', 'a', 'b c.txt'),
    });
    expect(localPathFor('/', '/', '/r/', '/r/x')).to.deep.equal({ local: '/x', shown: '/x' });
  });

  it('refuses remote names that are not below the folder or not local names', () => {
    for (const remote of [
      '/other/x',
      '/r/../x',
      '/r/a/../../x',
      '/r/./x',
      '/r//x',
      '/r/',
      '/r/a\u0000b',
      `/r/${'n'.repeat(256)}`,
    ]) {
      expect(localPathFor('/home/u/out', 'out', '/r/', remote), remote).to.have.property('reason');
    }
  });

  it('takes --parallel from 1 to 64 only', () => {
    expect(parseParallel('1')).to.equal(1);
    expect(parseParallel('64')).to.equal(64);
    for (const bad of ['0', '65', '', ' 3', '3x', '1e1', '0x10', '-1', '2.0']) {
      expect(() => parseParallel(bad), bad).to.throw(InvalidArgumentError);
    }
  });

  it('gives each file of a tree its share of chunks in flight', () => {
    expect(tuned(16)).to.deep.equal({ uploadConcurrency: 1, prefetch: 1 });
    expect(tuned(4)).to.deep.equal({ uploadConcurrency: 4, prefetch: 3 });
    expect(tuned(64)).to.deep.equal({ uploadConcurrency: 1, prefetch: 1 });
    expect(tuned(1)).to.deep.equal({ uploadConcurrency: 4, prefetch: 3 });
  });

  it('prints control characters in a path escaped', () => {
    expect(shown('/a\u0001b\u001b[31mc\u009bd\\e ü')).to.equal('/a\\x01b\\x1b[31mc\\x9bd\\e ü');
  });

  it('says a local file could not be read in words, and leaves the cluster’s errors as they are', () => {
    const local = (code: string) => Object.assign(new Error(`${code}: x`), { code, path: 'p/x' });
    const denied = cannotRead('p/no\u0007read.txt', local('EACCES'));
    expect(denied).to.be.instanceOf(UnreadableFile);
    expect((denied as UnreadableFile).message).to.equal('cannot read p/no\\x07read.txt: permission denied');
    expect((cannotRead('p/gone', local('ENOENT')) as UnreadableFile).reason).to.equal('no such file');
    const cluster = new DfsError('conflict', '/x is a folder');
    expect(cannotRead('p', cluster)).to.equal(cluster);
    // A socket's error names no path: it is not the local file's.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(cannotRead('p', reset)).to.equal(reset);
  });
});
