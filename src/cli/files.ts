// `dfs ls`, `dfs stat`, `dfs rm`, `dfs mkdir`, `dfs mv`.

import { DfsError } from '../protocol/errors.js';
import { formatBytes, formatTime } from '../protocol/format.js';
import { fileEntry } from '../protocol/list-entry.js';
import { normalisePath } from '../protocol/paths.js';
import { clientFrom, command, emptyArgument, withConnection, withJson } from './context.js';
import { intoFolder, isFolder, refuseFileAsFolder, statFile, unlessFolder } from './folder-hint.js';
import { jsonOutput, type ListOutput, rowsOutput } from './list-output.js';
import { shown } from './local-errors.js';
import { printJson, printTable } from './render.js';

// Entries per listing request of `ls -r`: the first rows show after one page, not the last.
const LIST_PAGE = 1000;

// A path argument given as '' (an unset shell variable) is bad usage, never the root.
const given = (name: string) => (value: string) => {
  if (value === '') throw emptyArgument(name);
  return value;
};

/** `dfs ls [PREFIX]`: streamed page by page (list-output.ts). */
export function lsCommand() {
  return withJson(withConnection(command('ls', 'list a folder (or, with -r, every file below it)')))
    .argument('[prefix]', 'folder to list', given('PREFIX'), '/')
    .option('-r, --recursive', 'list every file below the folder')
    .action(async (prefix: string, options) => {
      const sdk = clientFrom(options);
      const out: ListOutput = options.json
        ? jsonOutput()
        : rowsOutput({
            paths: Boolean(options.recursive),
            terminal: Boolean(process.stdout.isTTY),
            replication: async () => (await sdk.config()).replication,
          });
      const query = options.recursive ? { limit: LIST_PAGE } : { delimiter: true };
      let pages = 0;
      try {
        for await (const page of sdk.pages(prefix, { ...query, health: true })) {
          pages++;
          await out.page(page.entries);
        }
      } catch (err) {
        // `ls FILE` shows the file, as ls does (`ls FILE/` stays an error: a folder is meant).
        const asFile = err instanceof DfsError && err.code === 'conflict' && !pages && !prefix.endsWith('/');
        const info = asFile ? await sdk.stat(normalisePath(prefix)).catch(() => undefined) : undefined;
        if (!info) throw err;
        await out.page([fileEntry(info, info.minReplicas)]);
      }
      await out.end();
    });
}

/** `dfs stat REMOTE`. */
export function statCommand() {
  return withJson(withConnection(command('stat', "show a file's size, SHA-256, chunks and replicas")))
    .argument('<remote>', 'remote file path', given('REMOTE'))
    .action(async (remote: string, options) => {
      const sdk = clientFrom(options);
      const info = await statFile(sdk, remote, 'dfs ls');
      if (options.json) return printJson(info);
      const meta = Object.entries(info.metadata ?? {});
      process.stdout.write(
        [
          info.path,
          `  size         ${formatBytes(info.size)} (${info.size} bytes)`,
          `  sha256       ${info.sha256 || '- (not known: assembled from parts)'}`,
          `  type         ${info.contentType}`,
          `  generation   ${info.generation}`,
          `  created      ${formatTime(info.created)} UTC`,
          // Escaped as names are: a value may hold control characters (terminal escapes).
          ...meta.map(([k, v], i) => `  ${i === 0 ? 'metadata' : '        '}     ${shown(k)}=${shown(v)}`),
          `  chunks       ${info.chunks.length}, each on ${info.minReplicas} of ${info.replication} replicas at least`,
          '',
        ].join('\n'),
      );
      if (info.chunks.length === 0) return;
      printTable(
        ['#', 'Chunk', 'Offset', 'Size', 'Replicas'],
        info.chunks.map((c, i) => [
          i,
          `${c.id.slice(0, 16)}…`,
          c.offset,
          formatBytes(c.size),
          c.replicas.map((r) => `${r.url}${r.alive ? '' : ' (dead)'}`).join('\n') || 'none',
        ]),
        [0, 2, 3],
      );
    });
}

/** `dfs rm REMOTE`. */
export function rmCommand() {
  return withConnection(command('rm', 'delete a file (or, with -r, a folder and everything in it)'))
    .argument('<remote>', 'remote path', given('REMOTE'))
    .option('-r, --recursive', 'delete a folder and all files below it')
    .action(async (remote: string, options) => {
      const sdk = clientFrom(options);
      const path = normalisePath(remote);
      // `rm f/` names a folder: a file there is refused, not deleted.
      await refuseFileAsFolder(sdk, remote);
      // `rm -r FILE` deletes the file, as rm does.
      const file = options.recursive && (await sdk.stat(path).then(Boolean, () => false));
      if (!options.recursive || file) {
        await sdk.remove(path).catch((err) => unlessFolder(sdk, path, 'dfs rm -r', err));
        process.stderr.write(`deleted ${path}\n`);
        return;
      }
      let n = 0;
      const files: string[] = [];
      for await (const e of sdk.listAll(`${path}/`)) files.push(e.path);
      for (const f of files) {
        await sdk.remove(f);
        n++;
      }
      // Explicit (empty) folders left behind, deepest first.
      const dirs = await collectDirs(sdk, `${path}/`);
      for (const d of dirs.reverse()) await sdk.rmdir(d).catch(() => {});
      process.stderr.write(`deleted ${n} file(s) under ${path}/\n`);
    });
}

async function collectDirs(sdk: ReturnType<typeof clientFrom>, prefix: string): Promise<string[]> {
  const out = [prefix];
  const page = await sdk.list(prefix, { delimiter: true }).catch(() => undefined);
  for (const e of page?.entries ?? []) if (e.type === 'dir') out.push(...(await collectDirs(sdk, e.path)));
  return out;
}

/** `dfs mkdir REMOTE`. */
export function mkdirCommand() {
  return withConnection(command('mkdir', 'create a folder'))
    .argument('<remote>', 'remote folder path', given('REMOTE'))
    .action(async (remote: string, options) => {
      const sdk = clientFrom(options);
      // Making a folder that is there already is fine; saying "created" would not be.
      const existed = await isFolder(sdk, remote.replace(/\/+$/, ''));
      const made = await sdk.mkdir(remote);
      process.stderr.write(existed ? `${made} already exists\n` : `created ${made}\n`);
    });
}

/** `dfs mv FROM TO`. */
export function mvCommand() {
  return withConnection(command('mv', 'rename or move a file or folder'))
    .argument('<from>', 'remote source path', given('FROM'))
    .argument('<to>', 'remote destination path (a folder, or a trailing /: into it)', given('TO'))
    .option('-f, --force', 'replace an existing destination file')
    .action(async (from: string, to: string, options) => {
      const sdk = clientFrom(options);
      await refuseFileAsFolder(sdk, from);
      // Onto a folder (or a path ending in /): into it, under the same name, as mv does.
      const target = (await isFolder(sdk, to)) ? intoFolder(to, from) : to;
      if (normalisePath(target) === normalisePath(from))
        throw new DfsError('conflict', `${normalisePath(from)} is already there`);
      const { moved } = await sdk.move(from, target, Boolean(options.force));
      process.stderr.write(`moved ${from} → ${target} (${moved} file${moved === 1 ? '' : 's'})\n`);
    });
}
