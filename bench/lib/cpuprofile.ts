// Reading V8 .cpuprofile files (node --cpu-prof): self time per function and per category.

import fs from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One function's share of a profile. */
export interface Hotspot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** A profile reduced to what matters. */
export interface ProfileSummary {
  /** Wall time covered, ms. */
  wallMs: number;
  /** Time not idle, ms. */
  busyMs: number;
  top: Hotspot[];
  /** Self time grouped: gc, idle, program (native, outside JS), hashing, and so on. */
  categories: Record<string, number>;
}

const CATEGORIES: [string, RegExp][] = [
  ['gc', /^\(garbage collector\)$/],
  ['idle', /^\(idle\)$/],
  ['program (native/syscalls outside JS)', /^\(program\)$/],
  ['sha256 (hash update/digest)', /^(update|digest)$/],
  ['fs writes/fsync', /^(writev|write|writeBuffer|writeBuffers|fsync|fdatasync|close|open|rename)$/],
  ['socket writes', /^(writeBuffer|writev|writeGeneric|writeUtf8String|writeLatin1String)$/],
  ['buffer copies', /^(copy|set|concat|allocUnsafe|allocUnsafeSlow|from|slice|subarray|_copyActual)$/],
  ['json', /^(parse|stringify)$/],
];

function category(node: ProfileNode): string {
  const name = node.callFrame.functionName;
  const url = node.callFrame.url;
  for (const [label, pattern] of CATEGORIES) {
    if (!pattern.test(name)) continue;
    if (label === 'socket writes' && !/net|stream|http/.test(url)) continue;
    if (label === 'fs writes/fsync' && url && !/fs/.test(url)) continue;
    return label;
  }
  if (/node_modules\/(koa|@koa|koa-body|co-body|raw-body)/.test(url)) return 'koa + body parsing';
  if (
    /node_modules\/got|node_modules\/@szmarczak|node_modules\/cacheable|node_modules\/http2-wrapper/.test(url)
  )
    return 'got (client HTTP)';
  if (/node_modules\/lmdb|node_modules\/msgpackr/.test(url)) return 'lmdb';
  if (/^node:_http|^node:http/.test(url)) return 'node http';
  if (/^node:net|^node:internal\/stream_base/.test(url)) return 'net';
  if (/^node:internal\/streams|^node:stream/.test(url)) return 'streams';
  if (/\/dist\/|\/src\//.test(url)) return 'dfs code';
  if (/^node:/.test(url)) return 'node core (other)';
  return url ? 'other JS' : 'native (other)';
}

/** Summarises a .cpuprofile file. */
export async function summarise(file: string, topN = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await fs.readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const perFunction = new Map<string, Hotspot>();
  const categories: Record<string, number> = {};
  let idle = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const cat = category(node);
    categories[cat] = (categories[cat] ?? 0) + ms;
    if (cat === 'idle') idle += ms;
    const where = url ? `${url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}|${where}`;
    const spot = perFunction.get(key) ?? { name: functionName || '(anonymous)', where, selfMs: 0, share: 0 };
    spot.selfMs += ms;
    perFunction.set(key, spot);
  }
  const busyMs = wallMs - idle;
  const top = [...perFunction.values()]
    .filter((h) => h.name !== '(idle)')
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((h) => ({ ...h, share: h.selfMs / Math.max(busyMs, 1) }));
  return { wallMs, busyMs, top, categories };
}
