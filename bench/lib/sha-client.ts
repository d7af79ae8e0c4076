// The ceiling of a verifying reader in Node: a bare `node:http` GET whose every byte goes through
// SHA-256, run as its own plain `node` process (no loader), so its start-up matches `dfs`'s.

import { type RunResult, run } from './proc.js';

// Kept as source text (like wrk's Lua scripts) so it runs under plain node with nothing loaded.
const CLIENT = `
import http from 'node:http';
import { createHash } from 'node:crypto';
const url = process.argv[1];
http.get(url, (res) => {
  const hash = createHash('sha256');
  let bytes = 0;
  res.on('data', (d) => { bytes += d.length; hash.update(d); });
  res.on('end', () => {
    process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, sha256: hash.digest('hex') }) + '\\n');
  });
  res.on('error', (err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
}).on('error', (err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
`;

/** What the client got. */
export interface ShaGet extends RunResult {
  status: number;
  bytes: number;
  sha256: string;
}

/** GETs `url` with the SHA-256 client, timed from process start to exit, with CPU and peak RSS. */
export async function shaGet(url: string): Promise<ShaGet> {
  const result = await run(process.execPath, ['--input-type=module', '-e', CLIENT, url], { rss: true });
  const answer = JSON.parse(result.stdout.trim()) as { status: number; bytes: number; sha256: string };
  return { ...result, ...answer };
}
