// `dfs upload`: a file, stdin, or a whole folder (upload-tree.ts).

import { fstatSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { DfsError } from '../protocol/errors.js';
import { formatBytes } from '../protocol/format.js';
import { isContentType } from '../protocol/mime.js';
import { normalisePath } from '../protocol/paths.js';
import type { Manifest } from '../protocol/types.js';
import type { UploadOptions } from '../sdk/client.js';
import { clientFrom, command, emptyArgument, withConnection } from './context.js';
import { intoFolder, isFolder } from './folder-hint.js';
import { cannotRead, LocalFileError } from './local-errors.js';
import { parallelOption, tuned } from './parallel.js';
import { TransferProgress } from './render.js';
import { uploadTree } from './upload-tree.js';

/** `dfs upload LOCAL [REMOTE]`. */
export function uploadCommand() {
  return withConnection(command('upload', 'upload a file, stdin (-) or a whole folder'))
    .argument('<local>', 'local file, folder, or - for stdin')
    .argument(
      '[remote]',
      'remote path (default: /NAME); a trailing /, or a file onto a folder, means "into it"; a folder onto an existing folder adds to it (uploaded again, it updates the same files)',
    )
    .addOption(parallelOption())
    .option(
      '--content-type <type>',
      'content type of the file, or of every file of a folder (default: guessed from each name)',
      contentTypeArg,
    )
    .option(
      '--meta <key=value>',
      'user metadata, of the file or of every file of a folder (repeatable; at most 2 KiB in all)',
      collectMeta,
      {},
    )
    .action(async (local: string, remote: string | undefined, options) => {
      if (local === '') throw emptyArgument('LOCAL');
      if (remote === '') throw emptyArgument('REMOTE');
      const sdk = clientFrom(options);
      const extra: UploadOptions = {
        ...(options.contentType && { contentType: String(options.contentType) }),
        metadata: options.meta as Record<string, string>,
      };
      if (local === '-') {
        if (!remote || remote.endsWith('/'))
          throw new DfsError('bad_request', 'uploading stdin needs a remote file path');
        // `< folder` reads as nothing at all: it would store an empty file.
        if (stdinIsFolder())
          throw new DfsError('bad_request', 'standard input is a folder: name the folder instead of -');
        const target = normalisePath(remote);
        await uploadOne(
          (o) => sdk.upload(process.stdin, target, { ...extra, ...o }),
          target,
          undefined,
          `stdin → ${target}`,
        );
        return;
      }
      // A link named on the command line is followed (to a file or a folder).
      const stat = await fs.stat(local).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new DfsError('not_found', `no such local file: ${local}`);
        throw cannotRead(local, err);
      });
      const name = path.basename(path.resolve(local));
      const base = !remote ? `/${name}` : remote.endsWith('/') ? `${remote}${name}` : remote;
      if (stat.isDirectory()) {
        // Onto a file, every entry would fail alike: said once, before anything is sent.
        if (await sdk.stat(normalisePath(base)).then(Boolean, () => false))
          throw new DfsError(
            'conflict',
            `${normalisePath(base)} is a file, not a folder: upload ${local} elsewhere`,
          );
        const tree = clientFrom(options, tuned(options.parallel));
        return uploadTree(tree, local, normalisePath(base), options.parallel, extra);
      }
      // A local file that cannot be uploaded is a failure (1), like a missing one, not bad usage.
      if (!stat.isFile())
        throw new LocalFileError(
          'bad_request',
          `not a regular file: ${local} (to send what a pipe or a device gives, pipe it in: dfs upload - REMOTE)`,
        );
      // A file uploaded onto a folder goes into it, as cp does.
      const target = normalisePath(remote && (await isFolder(sdk, remote)) ? intoFolder(remote, name) : base);
      await uploadOne(
        (o) =>
          sdk.uploadFile(local, target, { ...extra, ...o }).catch((err) => {
            throw cannotRead(local, err);
          }),
        target,
        stat.size,
        `${local} → ${target}`,
      );
    });
}

function stdinIsFolder(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false;
  }
}

// `--content-type`, checked before anything is sent: a malformed one is bad usage (exit 2).
function contentTypeArg(value: string): string {
  if (!isContentType(value)) throw new InvalidArgumentError('It must be a media type like text/plain');
  return value;
}

// `--meta key=value`, repeatable: keys are lowercased, as S3 does with x-amz-meta-* headers.
function collectMeta(pair: string, previous: Record<string, string>): Record<string, string> {
  const eq = pair.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [pair.slice(0, eq).toLowerCase()]: pair.slice(eq + 1) };
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
    if (!progress.shown) process.stderr.write(`uploaded ${label} (${formatBytes(manifest.size)})\n`);
  } catch (err) {
    progress.fail();
    throw err;
  }
}
