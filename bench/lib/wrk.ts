// wrk (Debian's `wrk`) as the load generator for HTTP rows: PUT and GET scripts in Lua.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aptInstall, hasCommand, run } from './proc.js';

/** Finds wrk, installing it with apt-get if it is missing and we are root. */
export async function ensureWrk(log: (m: string) => void): Promise<boolean> {
  if (await hasCommand('wrk')) return true;
  const why = await aptInstall('wrk', log);
  if (!why) return true;
  log(`could not install wrk (${why}): the wrk rows are skipped`);
  return false;
}

/** What a wrk run measured. */
export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  /** Responses that were not 2xx/3xx, plus socket errors. */
  errors: number;
}

// Each request PUTs a unique body (its first bytes are thread and counter) to a unique path,
// so nothing can be de-duplicated or overwritten. X-Dfs-Csrf is the header the web client's
// CSRF gate wants on writes; nginx ignores it.
const PUT_SCRIPT = `
local counter = 0
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init(args)
  prefix = args[1]
  filler = string.rep("x", tonumber(args[2]))
end
function request()
  counter = counter + 1
  local name = prefix .. "-" .. tid .. "-" .. counter
  local body = name .. " " .. string.sub(filler, #name + 2)
  return wrk.format("PUT", name, { ["Content-Type"] = "application/octet-stream", ["X-Dfs-Csrf"] = "1" }, body)
end
`;

// Each request GETs the next path of a list (one path a line in the file given as argument).
const GET_SCRIPT = `
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`;

/** Runs wrk for `seconds` at `connections` with one of the scripts; `args` go to the script. */
export async function wrk(
  url: string,
  kind: 'put' | 'get',
  args: string[],
  options: { connections: number; seconds: number; threads?: number },
): Promise<WrkResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-bench-wrk-'));
  try {
    const script = path.join(dir, `${kind}.lua`);
    await fs.writeFile(script, kind === 'put' ? PUT_SCRIPT : GET_SCRIPT);
    const result = await run('wrk', [
      '-t',
      String(options.threads ?? 2),
      '-c',
      String(options.connections),
      '-d',
      `${options.seconds}s`,
      '--timeout',
      '30s',
      '-s',
      script,
      url,
      '--',
      ...args,
    ]);
    return parseWrk(result.stdout);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Reads requests/s, the request count and the error counts out of wrk's report. */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps || !total) throw new Error(`cannot read wrk's output:\n${out}`);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}
