// Copies the pages' static files next to the compiled code (dist/web/assets), so the built
// package serves its pages without src/ at run time.

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src/web/assets');
const to = path.join(root, 'dist/web/assets');
await fs.rm(to, { recursive: true, force: true });
await fs.mkdir(to, { recursive: true });
for (const name of await fs.readdir(from)) await fs.copyFile(path.join(from, name), path.join(to, name));
