// The daemons' log lines: today's text by default, one JSON object a line with --log-format json,
// and the flags that choose them.

import { expect } from 'chai';
import { clientConfig, masterConfig, nodeConfig } from '../../src/config.js';
import { createLogger, withFields } from '../../src/http/log.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');

function capture(format: 'text' | 'json', daemon = 'master') {
  const lines: string[] = [];
  const log = createLogger({ daemon, format, write: (line) => lines.push(line), now: () => NOW });
  return { log, lines };
}

describe('daemon logs', () => {
  it('writes readable text by default: the time, then the message, fields left out', () => {
    const { log, lines } = capture('text');
    log('node abc joined', { event: 'node-joined', level: 'warn' });
    expect(lines).to.deep.equal(['2026-12-01T10:00:00.000Z node abc joined\n']);
  });

  it('writes one JSON object a line: time, level, daemon, message, then the fields', () => {
    const { log, lines } = capture('json', 'node');
    log('GET /chunks/… 200', { method: 'GET', route: '/chunks/:id', status: 200, duration: 0.0012 });
    log('disk failing', { level: 'error', chunk: 'ab'.repeat(32) });
    log('multi\nline "quoted"');
    expect(lines).to.have.length(3);
    for (const line of lines) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).to.equal(true);
    const [access, failure, plain] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(access).slice(0, 4)).to.deep.equal(['time', 'level', 'daemon', 'message']);
    expect(access).to.deep.equal({
      time: '2026-12-01T10:00:00.000Z',
      level: 'info',
      daemon: 'node',
      message: 'GET /chunks/… 200',
      method: 'GET',
      route: '/chunks/:id',
      status: 200,
      duration: 0.0012,
    });
    expect(failure).to.include({ level: 'error', chunk: 'ab'.repeat(32) });
    expect(plain.message).to.equal('multi\nline "quoted"');
  });

  it('adds fields to every line of a logger (a node its id), a line’s own fields winning', () => {
    const { log, lines } = capture('json', 'node');
    const nodeLog = withFields(log, { node: 'n-1', level: 'info' });
    nodeLog('registered');
    nodeLog('scrub: rot', { level: 'warn', chunk: 'c' });
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).to.include({ node: 'n-1', level: 'info', message: 'registered' });
    expect(b).to.include({ node: 'n-1', level: 'warn', chunk: 'c' });
  });

  it('takes --log-format and --metrics-public on every daemon; the access log follows JSON or $DFS_DEBUG', () => {
    for (const build of [masterConfig, nodeConfig, clientConfig]) {
      expect(build({}, {})).to.include({ logFormat: 'text', accessLog: false, metricsPublic: false });
      expect(build({ logFormat: 'json', metricsPublic: true }, {})).to.include({
        logFormat: 'json',
        accessLog: true,
        metricsPublic: true,
      });
      expect(build({}, { DFS_LOG_FORMAT: 'json' }).logFormat).to.equal('json');
      expect(build({ logFormat: 'text' }, { DFS_LOG_FORMAT: 'json' }).logFormat).to.equal('text');
      expect(build({}, { DFS_DEBUG: '1' })).to.include({ logFormat: 'text', accessLog: true });
      expect(() => build({ logFormat: 'yaml' }, {})).to.throw(/log format must be text or json, got "yaml"/);
    }
  });
});
