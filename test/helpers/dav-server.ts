// A bare WebDAV server for tests that need options the web client does not expose (a small
// listing page, short lock timeouts): the /dav/ middleware alone on a Koa app, on port 0.

import Koa from 'koa';
import { type DavOptions, davMiddleware } from '../../src/dav/middleware.js';
import { type Listening, serve } from '../../src/http/serve.js';

/** Serves `davMiddleware(options)` on a free port. */
export async function startDavServer(options: DavOptions): Promise<Listening> {
  const app = new Koa();
  app.use(davMiddleware(options));
  return serve(app, '127.0.0.1', 0);
}
