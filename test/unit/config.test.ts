import { expect } from 'chai';
import { masterConfig, nodeConfig, parseBaseUrl, parseSize } from '../../src/config.js';
import { DfsError } from '../../src/protocol/errors.js';
import { formatBytes } from '../../src/protocol/format.js';
import { parseRange } from '../../src/protocol/range.js';

describe('config', () => {
  it('parses sizes with units', () => {
    expect(parseSize('8MiB')).to.equal(8 * 1024 * 1024);
    expect(parseSize('512k')).to.equal(512 * 1024);
    expect(parseSize('1g')).to.equal(1024 ** 3);
    expect(parseSize('100')).to.equal(100);
    expect(() => parseSize('lots')).to.throw(DfsError, /number of bytes/);
  });

  it('merges flags over environment over defaults, frozen', () => {
    const c = masterConfig({ replication: '3' }, { DFS_SECRET: 's', DFS_TOKEN: 't' });
    expect(c).to.include({ replication: 3, secret: 's', token: 't', port: 5000, chunkSize: 8 * 1024 * 1024 });
    expect(Object.isFrozen(c)).to.equal(true);
    expect(masterConfig({ secret: 'flag' }, { DFS_SECRET: 'env' }).secret).to.equal('flag');
    expect(nodeConfig({}, { DFS_MASTER: 'http://m:7000' }).masters).to.deep.equal(['http://m:7000']);
    expect(nodeConfig({}, {}).masters).to.deep.equal(['http://localhost:5000']);
    expect(nodeConfig({ master: 'http://a:1, http://b:2/' }, {}).masters).to.deep.equal([
      'http://a:1',
      'http://b:2',
    ]);
  });

  it('refuses bad values with clear messages', () => {
    expect(() => masterConfig({ replication: '0' }, {})).to.throw(/replication must be/);
    expect(() => masterConfig({ chunkSize: '10' }, {})).to.throw(/chunk size must be/);
    expect(() => masterConfig({ port: '70000' }, {})).to.throw(/invalid port/);
    expect(() => parseBaseUrl('file:///etc/passwd')).to.throw(/must be http or https/);
    expect(() => parseBaseUrl('http://user:pw@host')).to.throw(/plain base URL/);
    expect(parseBaseUrl('http://host:5000/')).to.equal('http://host:5000');
    // A Node timer fires at once past 24.8 days: such an interval is refused, not run back to back.
    expect(() => nodeConfig({ scrubInterval: '2592000' }, {})).to.throw(
      /scrub interval must be at most 2147483 seconds/,
    );
    expect(() => nodeConfig({ heartbeatInterval: '3000000' }, {})).to.throw(
      /heartbeat interval must be at most/,
    );
    expect(nodeConfig({ scrubInterval: '2147483' }, {}).scrubInterval).to.equal(2_147_483_000);
  });
});

describe('ranges and formats', () => {
  it('parses single byte ranges', () => {
    expect(parseRange('bytes=0-9', 100)).to.deep.equal({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).to.deep.equal({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).to.deep.equal({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).to.deep.equal({ start: 50, end: 99 });
    expect(parseRange(undefined, 100)).to.equal(undefined);
    expect(parseRange('bytes=0-1,5-6', 100)).to.equal(undefined);
    expect(() => parseRange('bytes=100-', 100)).to.throw(DfsError, /outside/);
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).to.equal('0 B');
    expect(formatBytes(1536)).to.equal('1.5 KiB');
    expect(formatBytes(20 * 1024 * 1024)).to.equal('20 MiB');
  });
});
