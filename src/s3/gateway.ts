// The S3 gateway daemon: its key pairs loaded, the SDK and the app, on a port.

import type { S3Config } from '../config.js';
import type { Logger } from '../http/errors.js';
import { handleExpect } from '../http/expect.js';
import { Monitoring } from '../http/monitoring.js';
import { serve } from '../http/serve.js';
import { DfsClient } from '../sdk/client.js';
import { createS3App } from './app.js';
import { loadCredentials } from './credentials.js';

/** A running S3 gateway. */
export interface RunningS3Gateway {
  url: string;
  close(): Promise<void>;
}

/** Starts the gateway on its port. */
export async function startS3Gateway(
  config: Readonly<S3Config>,
  log: Logger = console.error,
): Promise<RunningS3Gateway> {
  const credentials = await loadCredentials(config);
  const sdk = new DfsClient({ master: config.masters, token: config.token });
  const monitoring = new Monitoring(config, log);
  const app = createS3App({
    sdk,
    region: config.region,
    domains: config.domains,
    credentials,
    log,
    monitoring,
  });
  // Clients may pause long between parts of one upload on a keep-alive connection.
  const listening = await serve(app, config.host, config.port, {
    idleTimeout: 120_000,
    headersTimeout: config.headersTimeout,
  });
  // Installed before any request can arrive: the listen callback and this line run in one turn.
  handleExpect(listening.server);
  return { url: listening.url, close: listening.close };
}
