// The monitoring middleware on a small Koa app: requests counted and timed by route pattern (never
// the raw path), the access log, and `/metrics` behind the access token unless public.

import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { errorMiddleware } from '../../src/http/errors.js';
import { routeLabel, UNMATCHED } from '../../src/http/http-metrics.js';
import { Monitoring, type MonitoringOptions } from '../../src/http/monitoring.js';
import { type Listening, serve } from '../../src/http/serve.js';
import { DfsError } from '../../src/protocol/errors.js';
import {
  metricValue,
  promtoolAvailable,
  promtoolCheck,
  samples,
  scrape,
  typesOf,
} from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'metrics-test-token';

async function start(options: Partial<MonitoringOptions> = {}) {
  const logs: { message: string; fields?: Record<string, unknown> }[] = [];
  const monitoring = new Monitoring(
    { token: '', metricsPublic: false, accessLog: false, ...options },
    (message, fields) => logs.push({ message, fields }),
  );
  const app = new Koa();
  app.use(monitoring.middleware());
  app.use(errorMiddleware(() => {}));
  const router = new Router();
  router.get('/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.get(/^\/files\/(.+)$/, (ctx) => {
    ctx.body = 'file';
  });
  router.get('/broken', () => {
    throw new DfsError('unavailable', 'no nodes');
  });
  router.get('/slow-body', (ctx) => {
    // A body that takes a while to stream: the request is timed until it is all sent.
    ctx.body = Readable.from(
      (async function* () {
        yield 'a';
        await new Promise((resolve) => setTimeout(resolve, 150));
        yield 'b';
      })(),
    );
  });
  // Says when a request reached it, then waits for the client to leave.
  const hangs = new EventEmitter();
  router.get('/hang', async (ctx) => {
    hangs.emit('arrived');
    await new Promise((resolve) => ctx.req.once('close', resolve));
  });
  router.get('/named', (ctx) => {
    ctx.state.routeLabel = 'GetObject';
    ctx.body = 'ok';
  });
  app.use(router.routes());
  const listening = await serve(app, '127.0.0.1', 0);
  return { monitoring, listening, logs, hangs };
}

describe('HTTP metrics by route pattern', () => {
  let server: Awaited<ReturnType<typeof start>>;
  let url: string;

  before(async () => {
    server = await start();
    url = server.listening.url;
    for (const path of ['/items/1', '/items/2', '/items/3', '/files/a/b.txt', '/files/c', '/nope', '/broken'])
      await (await fetch(`${url}${path}`)).text();
    await (await fetch(`${url}/named`)).text();
  });
  after(() => server?.listening.close());

  it('names routes by their pattern; regexes read as paths', () => {
    expect(routeLabel('/chunks/:id')).to.equal('/chunks/:id');
    expect(routeLabel(/^\/api\/files\/(.+)$/)).to.equal('/api/files/*');
    expect(routeLabel(/^\/files\/(.+)$/)).to.equal('/files/*');
    expect(routeLabel(undefined)).to.equal(UNMATCHED);
  });

  it('counts requests by route pattern, method and status: one series per pattern, never a raw path', async () => {
    const { text } = await scrape(url);
    const get = { method: 'GET' };
    expect(
      metricValue(text, 'dfs_http_requests_total', { ...get, route: '/items/:id', code: '200' }),
    ).to.equal(3);
    expect(metricValue(text, 'dfs_http_requests_total', { ...get, route: '/files/*', code: '200' })).to.equal(
      2,
    );
    expect(metricValue(text, 'dfs_http_requests_total', { ...get, route: UNMATCHED, code: '404' })).to.equal(
      1,
    );
    expect(metricValue(text, 'dfs_http_requests_total', { ...get, route: '/broken', code: '503' })).to.equal(
      1,
    );
    // A handler may name its operation (a gateway without a router pattern).
    expect(
      metricValue(text, 'dfs_http_requests_total', { ...get, route: 'GetObject', code: '200' }),
    ).to.equal(1);
    const routes = samples(text, 'dfs_http_requests_total').map((s) => s.labels.route);
    for (const raw of ['/items/1', '/files/a/b.txt', '/nope']) expect(routes).not.to.include(raw);
  });

  it('times every request in a histogram by route and method', async () => {
    const { text } = await scrape(url);
    const types = typesOf(text);
    expect(types.get('dfs_http_requests_total')).to.equal('counter');
    expect(types.get('dfs_http_request_duration_seconds')).to.equal('histogram');
    const labels = { route: '/items/:id', method: 'GET' };
    expect(metricValue(text, 'dfs_http_request_duration_seconds_count', labels)).to.equal(3);
    expect(metricValue(text, 'dfs_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).to.equal(
      3,
    );
    expect(metricValue(text, 'dfs_http_request_duration_seconds_sum', labels)).to.be.greaterThan(0);
    // The process's default metrics come along.
    expect(types.get('process_cpu_seconds_total')).to.equal('counter');
    expect(types.get('nodejs_heap_size_used_bytes')).to.equal('gauge');
  });

  it('times a streamed body until its last byte is sent', async () => {
    expect(await (await fetch(`${url}/slow-body`)).text()).to.equal('ab');
    const labels = { route: '/slow-body', method: 'GET' };
    const text = await waitFor(async () => {
      const scraped = (await scrape(url)).text;
      return metricValue(scraped, 'dfs_http_request_duration_seconds_count', labels) ? scraped : '';
    }, 'the streamed request to be counted');
    expect(metricValue(text, 'dfs_http_request_duration_seconds_sum', labels)).to.be.at.least(0.14);
  });

  it('counts a client that leaves before the answer as 499', async () => {
    await new Promise<void>((resolve) => {
      const arrived = once(server.hangs, 'arrived');
      const req = http.get(`${url}/hang`);
      req.on('error', () => resolve());
      // Only once the server is handling it: a request cut before it arrives is never counted.
      void arrived.then(() => req.destroy());
    });
    await waitFor(
      async () =>
        metricValue((await scrape(url)).text, 'dfs_http_requests_total', { route: '/hang', code: '499' }) ===
        1,
      'the abandoned request to be counted',
    );
  });

  it('passes promtool check metrics', async function () {
    if (!promtoolAvailable()) this.skip();
    const { code, output } = await promtoolCheck((await scrape(url)).text);
    expect(output).to.equal('');
    expect(code).to.equal(0);
  });
});

describe('/metrics access and the access log', () => {
  const servers: Listening[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('needs the access token when one is set: 401 with a Bearer challenge, 403 for a wrong one', async () => {
    const { listening, monitoring } = await start({ token: TOKEN });
    servers.push(listening);
    const missing = await fetch(`${listening.url}/metrics`);
    expect(missing.status).to.equal(401);
    expect(missing.headers.get('www-authenticate')).to.match(/^Bearer/);
    const body = (await missing.json()) as { error: { message: string } };
    expect(body.error.message).to.match(/--metrics-public/);
    expect((await scrape(listening.url, 'wrong')).status).to.equal(403);
    const allowed = await scrape(listening.url, TOKEN);
    expect(allowed.status).to.equal(200);
    expect(allowed.text).to.match(/^# HELP /m);
    expect((await fetch(`${listening.url}/metrics`)).headers.get('x-content-type-options')).to.equal(
      'nosniff',
    );
    const head = await fetch(`${listening.url}/metrics`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-type')).to.equal(monitoring.registry.contentType);
  });

  it('is open with --metrics-public', async () => {
    const { listening } = await start({ token: TOKEN, metricsPublic: true });
    servers.push(listening);
    const { status, text } = await scrape(listening.url);
    expect(status).to.equal(200);
    expect(text).to.include('dfs_http_requests_total');
  });

  it('writes one access line per request only when asked', async () => {
    const quiet = await start();
    const loud = await start({ accessLog: true });
    servers.push(quiet.listening, loud.listening);
    for (const { listening } of [quiet, loud]) await (await fetch(`${listening.url}/items/42`)).text();
    await waitFor(() => loud.logs.length > 0, 'the access line');
    expect(quiet.logs).to.deep.equal([]);
    const [line] = loud.logs;
    expect(line?.message).to.match(/^GET \/items\/42 200 \d+\.\d ms$/);
    expect(line?.fields).to.include({
      level: 'info',
      method: 'GET',
      route: '/items/:id',
      path: '/items/42',
      status: 200,
    });
    expect(line?.fields?.duration).to.be.a('number');
  });
});
