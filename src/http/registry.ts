// One Prometheus registry per daemon (tests run several daemons in one process, so never the
// global default one), each showing the process's default metrics, collected once per process.

import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';

// prom-client also reports these gauges under a `_total` name, which `promtool check metrics`
// refuses ("non-counter metrics should not have _total suffix"); the same values stay under
// nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
const LINT_FAILURES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

let processMetrics: Metric[] | undefined;

// The default metrics describe the process, not a daemon: one set (one event-loop monitor, one
// GC observer) however many daemons the process runs.
function defaults(): Metric[] {
  if (!processMetrics) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of LINT_FAILURES) registry.removeSingleMetric(name);
    processMetrics = registry.getMetricsAsArray().flatMap(({ name }) => registry.getSingleMetric(name) ?? []);
  }
  return processMetrics;
}

/** A fresh registry holding the process's default metrics; the daemon adds its own. */
export function daemonRegistry(): Registry {
  const registry = new Registry();
  for (const metric of defaults()) registry.registerMetric(metric);
  return registry;
}
