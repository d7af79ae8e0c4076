// Rows 11 and 12: the S3 gateway. A large file PUT and GET through `dfs s3` (curl signing SigV4)
// against `dfs upload` and `dfs download` of the same file in the same run; then 4 KiB PUTs and
// GETs at concurrency 16 through the gateway against the same operations through the SDK.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { DfsClient } from '../../src/sdk/client.js';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { stampFile } from '../lib/files.js';
import { closedLoop, once } from '../lib/load.js';
import { run } from '../lib/proc.js';
import { makeRow, type Row } from '../lib/report.js';
import { S3_KEY, S3_REGION, S3_SECRET, s3Call, startGateway } from '../lib/s3-client.js';

const MB = 1e6;

/** curl with SigV4: `-T FILE` uploads, `-o /dev/null` downloads; the status must be 200. */
async function curlS3(url: URL, path: string, args: string[]): Promise<number> {
  const r = await run('curl', [
    '-sS',
    '--fail-with-body',
    '--aws-sigv4',
    `aws:amz:${S3_REGION}:s3`,
    '--user',
    `${S3_KEY}:${S3_SECRET}`,
    '-H',
    'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    ...args,
    `${url.origin}${path}`,
  ]);
  if (r.code !== 0) throw new Error(`curl ${path}: ${r.stderr || r.stdout}`);
  return r.ms;
}

/** Rows 11a, 11b (large PUT and GET) and 12a, 12b (4 KiB PUT and GET at concurrency 16). */
export async function s3Rows(ctx: BenchContext): Promise<Row[]> {
  const size = ctx.sizes.large;
  const file = await ctx.bigFile();
  const label = `${size / 1024 / 1024} MiB`;
  const cluster = await Cluster.start({ ...ctx.clusterDefaults(), webClient: false });
  const gateway = await startGateway(cluster);
  const mbps = (ms: number) => size / MB / (ms / 1000);
  try {
    const put = { s3: [] as number[], cli: [] as number[] };
    const get = { s3: [] as number[], cli: [] as number[] };
    for (let i = 1; i <= ctx.options.runs; i++) {
      await stampFile(file, size, `s3-${i}-${Date.now()}`);
      const cli = await cluster.dfs(['upload', file, `/bench/cli-${i}`]);
      if (cli.code !== 0) throw new Error(`dfs upload: ${cli.stderr}`);
      put.cli.push(mbps(cli.ms));
      put.s3.push(mbps(await curlS3(gateway.url, `/bench/s3-${i}`, ['-T', file, '-o', '/dev/null'])));
      const down = await cluster.dfs(['download', `/bench/cli-${i}`, '/dev/null']);
      if (down.code !== 0) throw new Error(`dfs download: ${down.stderr}`);
      get.cli.push(mbps(down.ms));
      get.s3.push(mbps(await curlS3(gateway.url, `/bench/s3-${i}`, ['-o', '/dev/null'])));
      ctx.log(
        `s3 ${label} ${i}: PUT ${put.s3.at(-1)?.toFixed(0)} MB/s vs dfs upload ${put.cli.at(-1)?.toFixed(0)}; GET ${get.s3.at(-1)?.toFixed(0)} MB/s vs dfs download ${get.cli.at(-1)?.toFixed(0)}`,
      );
    }
    const rows = [
      makeRow(
        {
          id: '11a',
          what: `S3 PUT ${label} (curl --aws-sigv4 to dfs s3)`,
          baselineWhat: 'dfs upload of the same file',
          unit: 'MB/s',
          target: 0.8,
          better: 'higher',
        },
        put.s3,
        put.cli,
      ),
      makeRow(
        {
          id: '11b',
          what: `S3 GET ${label} (curl --aws-sigv4 from dfs s3)`,
          baselineWhat: 'dfs download REMOTE /dev/null',
          unit: 'MB/s',
          target: 0.8,
          better: 'higher',
        },
        get.s3,
        get.cli,
      ),
    ];
    rows.push(...(await smallS3Rows(ctx, cluster, gateway)));
    return rows;
  } finally {
    await cluster.stop();
  }
}

/** 4 KiB PUTs, then GETs of what was put, at concurrency 16: through the gateway and through the SDK. */
async function smallS3Rows(ctx: BenchContext, cluster: Cluster, gateway: { url: URL }): Promise<Row[]> {
  const { smallFile, concurrency, loadSeconds } = ctx.sizes;
  const sdk = new DfsClient({ master: cluster.masterUrl });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const base = randomBytes(smallFile);
  const body = (name: string) => Buffer.concat([Buffer.from(`${name} `), base]).subarray(0, smallFile);
  const cpu = () => cluster.cpu();
  const rates = {
    s3Put: [] as number[],
    sdkPut: [] as number[],
    s3Get: [] as number[],
    sdkGet: [] as number[],
  };
  const cpuMs = { s3Put: [] as number[], s3Get: [] as number[] };
  const s3Put = (prefix: string, seconds: number, names: string[]) =>
    closedLoop(concurrency, { seconds }, async (n) => {
      const name = `${prefix}/f${n}`;
      const r = await s3Call(agent, gateway.url, 'PUT', `/bench${name}`, body(name));
      if (r.status !== 200) throw new Error(`PUT answered ${r.status}`);
      names.push(`/bench${name}`);
    });
  const written: string[] = [];
  await s3Put('/warm', 1, []);
  for (let i = 1; i <= ctx.options.runs; i++) {
    const before = cpu();
    const s = await s3Put(`/small-s3-${i}`, loadSeconds, written);
    rates.s3Put.push(s.perSec);
    cpuMs.s3Put.push(((cpu() - before) * 1000) / Math.max(1, s.done));
    const d = await closedLoop(concurrency, { seconds: loadSeconds }, (n) =>
      sdk.upload(once(body(`sdk${n}`)), `/bench/small-sdk-${i}/f${n}`).then(() => undefined),
    );
    rates.sdkPut.push(d.perSec);
    const beforeGet = cpu();
    const g = await closedLoop(concurrency, { seconds: loadSeconds }, async (n) => {
      const r = await s3Call(agent, gateway.url, 'GET', written[n % written.length] as string);
      if (r.status !== 200 || r.bytes !== smallFile)
        throw new Error(`GET answered ${r.status} with ${r.bytes} bytes`);
    });
    rates.s3Get.push(g.perSec);
    cpuMs.s3Get.push(((cpu() - beforeGet) * 1000) / Math.max(1, g.done));
    const sg = await closedLoop(concurrency, { seconds: loadSeconds }, async (n) => {
      let bytes = 0;
      for await (const piece of sdk.download(written[n % written.length] as string)) bytes += piece.length;
      if (bytes !== smallFile) throw new Error(`read ${bytes} bytes`);
    });
    rates.sdkGet.push(sg.perSec);
    const errors = [s, d, g, sg].map((r) => r.firstError).filter(Boolean);
    ctx.log(
      `s3 4 KiB ${i}: PUT ${s.perSec.toFixed(0)}/s (sdk ${d.perSec.toFixed(0)}/s), GET ${g.perSec.toFixed(0)}/s (sdk ${sg.perSec.toFixed(0)}/s)${errors.length ? `; errors: ${errors.join('; ')}` : ''}`,
    );
  }
  agent.destroy();
  const cpuNote = (list: number[]) =>
    `CPU ${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(2)} ms per operation (gateway and cluster)`;
  return [
    makeRow(
      {
        id: '12a',
        what: `S3 PUT ${smallFile / 1024} KiB, concurrency ${concurrency}`,
        baselineWhat: 'SDK uploads in process',
        unit: 'op/s',
        better: 'higher',
        note: cpuNote(cpuMs.s3Put),
      },
      rates.s3Put,
      rates.sdkPut,
    ),
    makeRow(
      {
        id: '12b',
        what: `S3 GET ${smallFile / 1024} KiB, concurrency ${concurrency}`,
        baselineWhat: 'SDK downloads in process',
        unit: 'op/s',
        better: 'higher',
        note: cpuNote(cpuMs.s3Get),
      },
      rates.s3Get,
      rates.sdkGet,
    ),
  ];
}
