// `dfs upload` and `dfs download`: files, stdin/stdout and whole folders.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { Manifest } from '../protocol/types.js';
import type { DfsClient, UploadOptions } from '../sdk/client.js';
import { Limiter } from '../sdk/limit.js';
import { clientFrom, command, withConnection } from './context.js';
import { writeDevice, writeLocalFile } from './local-file.js';
import { TransferProgress } from './render.js';

// Files uploaded at once from a folder.
const FILES_AT_ONCE = 4;

/** `dfs upload LOCAL [REMOTE]`. */
export function uploadCommand() {
  return withConnection(command('upload', 'upload a file, stdin (-) or a whole folder'))
    .argument('<local>', 'local file, folder, or - for stdin')
    .argument('[remote]', 'remote path (default: /NAME; a trailing / means "into this folder")')
    .action(async (local: string, remote: string | undefined, options) => {
      const sdk = clientFrom(options);
      if (local === '-') {
        if (!remote || remote.endsWith('/'))
          throw new DfsError('bad_request', 'uploading stdin needs a remote file path');
        const target = normalisePath(remote);
        await uploadOne((o) => sdk.upload(process.stdin, target, o), target, undefined, `stdin → ${target}`);
        return;
      }
      const stat = await fs.stat(local).catch(() => {
        throw new DfsError('not_found', `no such local file: ${local}`);
      });
      const name = path.basename(path.resolve(local));
      const base = !remote ? `/${name}` : remote.endsWith('/') ? `${remote}${name}` : remote;
      if (stat.isDirectory()) return uploadTree(sdk, local, normalisePath(base));
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

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

async function uploadTree(sdk: DfsClient, local: string, remoteBase: string) {
  const limiter = new Limiter(FILES_AT_ONCE);
  const tasks: Promise<void>[] = [];
  let failure: unknown;
  let count = 0;
  for await (const file of walk(local)) {
    const rel = path.relative(local, file).split(path.sep).join('/');
    const target = normalisePath(`${remoteBase}/${rel}`);
    await limiter.slot();
    if (failure) break;
    tasks.push(
      limiter
        .run(async () => {
          const size = (await fs.stat(file)).size;
          await sdk.uploadFile(file, target);
          count++;
          process.stderr.write(`uploaded ${file} → ${target} (${size} bytes)\n`);
        })
        .catch((err) => {
          failure ??= new DfsError(
            (err as DfsError).code ?? 'internal',
            `${file}: ${(err as Error).message}`,
          );
        }),
    );
  }
  await Promise.all(tasks);
  if (failure) throw failure;
  process.stderr.write(`uploaded ${count} file(s) into ${remoteBase}\n`);
}

/** `dfs download REMOTE [LOCAL]`. */
export function downloadCommand() {
  return withConnection(command('download', 'download a file (to a path, a folder, or - for stdout)'))
    .argument('<remote>', 'remote file path')
    .argument('[local]', 'local path or folder (default: ./NAME), or - for stdout')
    .action(async (remote: string, local: string | undefined, options) => {
      const sdk = clientFrom(options);
      const info = await sdk.stat(normalisePath(remote));
      const progress = new TransferProgress(`download ${info.path}`, info.size);
      const into = async (out: Writable) => {
        try {
          await sdk.downloadTo(info.path, out, { info, onProgress: progress.update });
        } catch (err) {
          progress.fail();
          throw err;
        }
      };
      if (local === '-') return into(process.stdout);
      let target = local ?? path.basename(info.path);
      const existing = await fs.stat(target).catch(() => undefined);
      // A trailing slash means "into this folder", whether or not it exists (never a file there).
      if (existing?.isDirectory() || target.endsWith('/'))
        target = path.join(target, path.basename(info.path));
      else if (existing && !existing.isFile()) {
        // A device or a pipe (/dev/null, a FIFO): write straight into it, never rename over it.
        await writeDevice(target, into);
        progress.succeed(`downloaded ${info.path} → ${target}  ${progress.summary()}`);
        return;
      }
      await writeLocalFile(target, into);
      progress.succeed(`downloaded ${info.path} → ${target}  ${progress.summary()}`);
    });
}
