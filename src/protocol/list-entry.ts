// A file as a listing row: what a folder listing, PROPFIND and `dfs ls FILE` show of one file.

import { baseName } from './paths.js';
import type { FileInfo, ListEntry } from './types.js';

/** What a row is made from: a file's manifest, or the master's summary of it (a chunk count). */
type FileFields = Pick<
  FileInfo,
  'path' | 'size' | 'created' | 'generation' | 'contentType' | 'metadata' | 'attributes' | 'sha256'
> &
  ({ chunkCount: number } | { chunks: unknown[] });

/** The listing row of a file, with its health (`minReplicas`) when known. */
export function fileEntry(file: FileFields, minReplicas?: number): ListEntry {
  return {
    type: 'file',
    path: file.path,
    name: baseName(file.path),
    size: file.size,
    created: file.created,
    generation: file.generation,
    contentType: file.contentType,
    metadata: file.metadata,
    attributes: file.attributes,
    sha256: file.sha256,
    chunkCount: 'chunkCount' in file ? file.chunkCount : file.chunks.length,
    ...(minReplicas !== undefined && { minReplicas }),
  };
}
