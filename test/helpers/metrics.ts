// Reading Prometheus text in tests: scraping a daemon, finding a sample by name and labels, the
// type of each family, and `promtool check metrics` (Debian's prometheus package).

import { spawn, spawnSync } from 'node:child_process';

/** Where promtool is looked for ($PROMTOOL_PATH overrides). */
export const PROMTOOL = process.env.PROMTOOL_PATH ?? 'promtool';

let warned = false;

/** True when promtool runs; otherwise prints a loud warning (once) and returns false. */
export function promtoolAvailable(): boolean {
  if (!spawnSync(PROMTOOL, ['--version']).error) return true;
  if (!warned) {
    warned = true;
    console.warn(
      `\n  WARNING: promtool checks SKIPPED: ${PROMTOOL} is missing ` +
        '(install it with `apt-get install -y prometheus`, or set PROMTOOL_PATH).\n',
    );
  }
  return false;
}

/** Runs `promtool check metrics` on `text`: its exit code and what it printed. */
export function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

/** `GET {url}/metrics` (with a bearer token when given): the status and the text. */
export async function scrape(url: string, token?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, text: await response.text() };
}

/** The samples of `name` in Prometheus text, each with its labels and value. */
export function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string;
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

/** The value of the sample of `name` whose labels include `labels` (undefined when absent). */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The type of every metric family (`# TYPE name type`). */
export function typesOf(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    types.set(name as string, type as string);
  return types;
}
