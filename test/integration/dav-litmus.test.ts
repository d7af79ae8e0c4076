// litmus, the WebDAV compliance suite (Debian's `litmus`), against a cluster with an access
// token: every suite — basic, copymove, props, locks, http — must pass with no warning. litmus
// exits 0 whatever happens and stops after a failing suite, so its summary lines are what count.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { haveTool } from '../helpers/dav-http.js';

const run = promisify(execFile);
const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'];
const TOKEN = 'litmus-token';

/** One suite's summary line. */
interface Summary {
  suite: string;
  run: number;
  passed: number;
  failed: number;
}

/** The summary lines of litmus output. */
function litmusSummaries(output: string): Summary[] {
  const out: Summary[] = [];
  for (const m of output.matchAll(/summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g)) {
    out.push({ suite: m[1] as string, run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]) });
  }
  return out;
}

describe('dav: litmus', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    if (!haveTool('litmus', 'litmus', 'the litmus WebDAV compliance suites')) this.skip();
    cluster = await startCluster({ nodes: 2, webClient: true, token: TOKEN });
    dir = await tempDir('dfs-litmus-');
  });

  after(async () => {
    await cluster?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('passes basic, copymove, props, locks and http with no warning', async () => {
    // Asynchronously: the web client answering litmus runs in this process.
    const { stdout, stderr } = await run('litmus', [`${cluster.client?.url}/dav/`, 'litmus', TOKEN], {
      cwd: dir,
      timeout: 100_000,
      maxBuffer: 16 << 20,
    });
    const output = `${stdout}${stderr}`;
    const problems = output.split('\n').filter((line) => /\b(FAIL|WARNING|SKIPPED)\b/.test(line));
    expect(problems, output).to.deep.equal([]);
    const summaries = litmusSummaries(output);
    expect(summaries.map((s) => s.suite)).to.deep.equal(SUITES);
    for (const summary of summaries) {
      expect(summary.failed, summary.suite).to.equal(0);
      expect(summary.passed, summary.suite).to.equal(summary.run);
    }
    expect(summaries.reduce((n, s) => n + s.run, 0)).to.equal(104);
  });
});
