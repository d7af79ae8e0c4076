// `dfs upload`: a file, stdin, or a whole folder (upload-tree.ts).

import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { Manifest } from '../protocol/types.js';
import type { UploadOptions } from '../sdk/client.js';
import { clientFrom, command, withConnection } from './context.js';
import { parallelOption, tuned } from './parallel.js';
import { TransferProgress } from './render.js';
import { uploadTree } from './upload-tree.js';

/** `dfs upload LOCAL [REMOTE]`. */
export function uploadCommand() {
  return withConnection(command('upload', 'upload a file, stdin (-) or a whole folder'))
    .argument('<local>', 'local file, folder, or - for stdin')
    .argument('[remote]', 'remote path (default: /NAME; a trailing / means "into this folder")')
    .addOption(parallelOption())
    .action(async (local: string, remote: string | undefined, options) => {
      const sdk = clientFrom(options);
      if (local === '-') {
        if (!remote || remote.endsWith('/'))
          throw new DfsError('bad_request', 'uploading stdin needs a remote file path');
        const target = normalisePath(remote);
        await uploadOne((o) => sdk.upload(process.stdin, target, o), target, undefined, `stdin → ${target}`);
        return;
      }
      // A link named on the command line is followed (to a file or a folder).
      const stat = await fs.stat(local).catch(() => {
        throw new DfsError('not_found', `no such local file: ${local}`);
      });
      const name = path.basename(path.resolve(local));
      const base = !remote ? `/${name}` : remote.endsWith('/') ? `${remote}${name}` : remote;
      if (stat.isDirectory()) {
        const tree = clientFrom(options, tuned(options.parallel));
        return uploadTree(tree, local, normalisePath(base), options.parallel);
      }
      if (!stat.isFile()) throw new DfsError('bad_request', `not a regular file: ${local}`);
      const target = normalisePath(base);
      await uploadOne((o) => sdk.uploadFile(local, target, o), target, stat.size, `${local} → ${target}`);
    });
}

async function uploadOne(
  send: (options: UploadOptions) => Promise<Manifest>,
  target: string,
  size: number | undefined,
  label: string,
) {
  const progress = new TransferProgress(`upload ${target}`, size);
  try {
    const manifest = await send({ onProgress: progress.update });
    progress.succeed(`uploaded ${target}  ${progress.summary()}`);
    if (!progress.shown) process.stderr.write(`uploaded ${label} (${manifest.size} bytes)\n`);
  } catch (err) {
    progress.fail();
    throw err;
  }
}
