// Serves the pages' static files (CSS, JS): no CDN, the machines are offline. The build copies
// them from src/web/assets to dist/web/assets, so the built package never reads src/.

import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

// src/http → src/web/assets (tests run from source); dist/http → dist/web/assets (the build).
const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/assets');
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Middleware for `GET /assets/{name}`: only plain file names from the assets folder. */
export function assets() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = /^\/assets\/([a-z0-9-]+\.(css|js|svg|png))$/.exec(ctx.path);
    if (!match || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const file = path.join(ASSETS, match[1] as string);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) return next();
    ctx.state.routeLabel = '/assets/*';
    ctx.type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    ctx.length = stat.size;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = createReadStream(file);
  };
}
