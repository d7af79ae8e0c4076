// `dfs download`: a file to a local path, into a folder, to a device, or to stdout.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { DfsError } from '../protocol/errors.js';
import { normalisePrefix } from '../protocol/paths.js';
import { clientFrom, command, emptyArgument, withConnection } from './context.js';
import { downloadTree } from './download-tree.js';
import { statFile } from './folder-hint.js';
import { writeDevice, writeLocalFile } from './local-file.js';
import { parallelOption, tuned } from './parallel.js';
import { TransferProgress } from './render.js';

/** `dfs download REMOTE [LOCAL]`. */
export function downloadCommand() {
  return withConnection(
    command('download', 'download a file (to a path, a folder, or - for stdout), or with -r a folder'),
  )
    .argument('<remote>', 'remote file path (with -r: remote folder)')
    .argument('[local]', 'local path or folder (default: ./NAME), or - for stdout')
    .option('-r, --recursive', 'download a whole folder into LOCAL (created if needed)')
    .addOption(parallelOption())
    .action(async (remote: string, local: string | undefined, options) => {
      if (local === '') throw emptyArgument('LOCAL');
      if (options.recursive) {
        const prefix = normalisePrefix(remote);
        const name = path.posix.basename(prefix);
        if (local === '-') throw new DfsError('bad_request', 'a folder cannot be downloaded to stdout');
        if (!local && !name) throw new DfsError('bad_request', 'downloading / needs a local folder');
        const sdk = clientFrom(options, tuned(options.parallel));
        return downloadTree(sdk, prefix, local ?? name, options.parallel);
      }
      const sdk = clientFrom(options);
      const info = await statFile(sdk, remote, 'dfs download -r');
      const progress = new TransferProgress(`download ${info.path}`, info.size);
      const into = async (out: Writable) => {
        try {
          await sdk.downloadTo(info.path, out, { info, onProgress: progress.update });
        } catch (err) {
          progress.fail();
          throw err;
        }
      };
      if (local === '-') {
        // Bytes that are not text would garble the terminal (curl refuses the same).
        if (process.stdout.isTTY && !isText(info.contentType))
          throw new DfsError(
            'bad_request',
            `${info.path} is ${info.contentType}, not text: redirect standard output, or name a local file`,
          );
        return into(process.stdout);
      }
      let target = local ?? path.basename(info.path);
      const existing = await fs.stat(target).catch(() => undefined);
      // A link is written through only when the user named it: never one met in a folder the
      // file goes into, or at the default name (in a shared folder, someone else's link).
      let named = local !== undefined;
      // A trailing slash means "into this folder", whether or not it exists (never a file there).
      if (existing?.isDirectory() || target.endsWith('/')) {
        target = path.join(target, path.basename(info.path));
        named = false;
      } else if (existing && !existing.isFile()) {
        // A device or a pipe (/dev/null, a FIFO): write straight into it, never rename over it.
        await writeDevice(target, into);
        progress.succeed(`downloaded ${info.path} → ${target}  ${progress.summary()}`);
        return;
      }
      await writeLocalFile(target, into, named);
      progress.succeed(`downloaded ${info.path} → ${target}  ${progress.summary()}`);
    });
}

/** True for a content type a terminal can show: text, or JSON, XML and JavaScript. */
function isText(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || /^application\/([\w.+-]*\+)?(json|xml|javascript)$/.test(type);
}
