// Requests and their durations by route pattern (never the raw path: a bounded set of series),
// for Prometheus and, as plain running totals, for the pages' charts.

import { Counter, Histogram, type LabelValues, type Registry } from 'prom-client';

/** The route label of a request no route matched (404s, refusals before routing). */
export const UNMATCHED = 'unmatched';

/** Seconds: from well under a millisecond (a small chunk) to long transfers. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One route, method and status seen so far, with its running totals. */
interface Entry {
  route: string;
  method: string;
  status: number;
  labels: LabelValues<'route' | 'method' | 'code'>;
  durationLabels: LabelValues<'route' | 'method'>;
  count: number;
  seconds: number;
}

/**
 * The route label of a matched router layer: the pattern (`/chunks/:id`), or a RegExp route as
 * its readable path (`^\/api\/files\/(.+)$` → `/api/files/*`).
 */
export function routeLabel(route: string | RegExp | undefined): string {
  if (route === undefined) return UNMATCHED;
  if (typeof route === 'string') return route;
  return route.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\((?:[^()\\]|\\.)*\)/g, '*')
    .replace(/\\(.)/g, '$1');
}

/** `dfs_http_requests_total{route,method,code}` and `dfs_http_request_duration_seconds{route,method}`. */
export class HttpMetrics {
  private readonly requests: Counter<'route' | 'method' | 'code'>;
  private readonly durations: Histogram<'route' | 'method'>;
  // Keyed by "method route code": one lookup per request, no label objects built after the first.
  private readonly entries = new Map<string, Entry>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'dfs_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status code.',
      labelNames: ['route', 'method', 'code'],
      registers: [registry],
    });
    this.durations = new Histogram({
      name: 'dfs_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route pattern and method.',
      labelNames: ['route', 'method'],
      buckets: BUCKETS,
      registers: [registry],
    });
  }

  /** Counts one answered request. */
  record(route: string, method: string, code: string, seconds: number): void {
    const key = `${method} ${route} ${code}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        route,
        method,
        status: Number(code),
        labels: { route, method, code },
        durationLabels: { route, method },
        count: 0,
        seconds: 0,
      };
      this.entries.set(key, entry);
    }
    entry.count++;
    entry.seconds += seconds;
    this.requests.inc(entry.labels);
    this.durations.observe(entry.durationLabels, seconds);
  }

  /**
   * Running totals of the successful answers (status below 400) of the routes `accept` picks:
   * how many, and the seconds they took.
   */
  totals(accept: (route: string, method: string) => boolean): { count: number; seconds: number } {
    let count = 0;
    let seconds = 0;
    for (const entry of this.entries.values()) {
      if (!(entry.status < 400) || !accept(entry.route, entry.method)) continue;
      count += entry.count;
      seconds += entry.seconds;
    }
    return { count, seconds };
  }
}
