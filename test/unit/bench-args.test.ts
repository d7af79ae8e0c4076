// The bench programs' command lines: bad usage is one line and exit 2, `--help` the usage.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { benchArgs, UsageError, wholeNumber } from '../../bench/lib/args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const options = { runs: { type: 'string' as const, default: '3' }, quick: { type: 'boolean' as const } };

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/bench.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bench command lines', () => {
  it('parse known options and refuse unknown ones, stray arguments and missing values as bad usage', () => {
    expect(benchArgs('u', options, ['--runs', '5', '--quick'])).to.deep.include({ runs: '5', quick: true });
    for (const args of [['--bogus'], ['stray'], ['--runs']])
      expect(() => benchArgs('u', options, args), args.join(' ')).to.throw(UsageError);
  });

  it('take whole numbers of at least the minimum only', () => {
    expect(wholeNumber('runs', '3')).to.equal(3);
    expect(wholeNumber('warm', '0', 0)).to.equal(0);
    for (const bad of ['0', '-1', '1.5', 'x', '', undefined])
      expect(() => wholeNumber('runs', bad), String(bad)).to.throw(
        UsageError,
        /--runs must be a whole number/,
      );
  });

  it('npm run bench: bad usage is one line and exit 2, --help the usage and exit 0, and nothing runs', function () {
    this.timeout(120_000);
    const said = [['--bogus'], ['--only', '5,nosuch'], ['--runs', 'x']].map((args) => {
      const r = bench(...args);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stdout).to.equal('');
      return r.stderr;
    });
    expect(said[0]).to.equal("bench: Unknown option '--bogus' (--help for usage)\n");
    expect(said[1]).to.include('bench: no row nosuch: rows are 1, 2 (large)');
    expect(said[2]).to.include('bench: --runs must be a whole number of at least 1 (got x)');
    const help = bench('--help');
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: npm run bench/);
    expect(help.stdout).to.include('8, 9 (peer-small)');
  });
});
