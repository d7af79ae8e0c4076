// The web client daemon: the SDK plus its Koa app, on a port.

import type { ClientConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { handleExpect } from '../http/expect.js';
import { serve } from '../http/serve.js';
import { DfsClient } from '../sdk/client.js';
import { createClientApp } from './app.js';

/** A running web client. */
export interface RunningClient {
  url: string;
  close(): Promise<void>;
}

/** Starts the web client on its port. */
export async function startClient(
  config: Readonly<ClientConfig>,
  log: Logger = console.error,
): Promise<RunningClient> {
  // Prefetch 2 (not 3): the web client serves many downloads at once, so its memory counts more.
  const sdk = new DfsClient({ master: config.masters, token: config.token, prefetch: 2 });
  const app = createClientApp({ config, sdk, log });
  // Uploads through the page can sit idle while the cluster fails over: allow a longer idle time.
  const listening = await serve(app, config.host, config.port, {
    idleTimeout: 120_000,
    headersTimeout: config.headersTimeout,
  });
  // A DAV PUT refused on its headers (401, 409, 412, 413, 423) is answered before the client
  // sends its upload: 100 Continue goes out only once the handler reads the body. Installed in
  // the same turn as the listen callback, before any request can arrive.
  handleExpect(listening.server);
  return { url: listening.url, close: listening.close };
}
