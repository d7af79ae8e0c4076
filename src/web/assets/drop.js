// The files of a drag-and-drop: loose files, and dropped folders walked recursively with their
// relative paths kept.

/**
 * Resolves to `{ file, relative }` for everything dropped, `relative` being `name` for a loose
 * file and `folder/sub/name` for a file inside a dropped folder.
 */
export async function droppedFiles(dataTransfer) {
  // Entries can only be taken while the drop event is being dispatched: collect them first.
  const folders = [];
  const loose = [];
  for (const item of Array.from(dataTransfer.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry?.isDirectory) {
      folders.push(entry);
      continue;
    }
    const file = item.getAsFile();
    if (file) loose.push({ file, relative: file.name });
  }
  if (loose.length === 0 && folders.length === 0) {
    for (const file of Array.from(dataTransfer.files ?? [])) loose.push({ file, relative: file.name });
  }
  const nested = await Promise.all(folders.map((folder) => walk(folder, folder.name)));
  return [...loose, ...nested.flat()];
}

async function walk(folder, base) {
  const reader = folder.createReader();
  const found = [];
  // readEntries answers in batches until it returns an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return found;
    for (const entry of batch) {
      const relative = `${base}/${entry.name}`;
      if (entry.isDirectory) found.push(...(await walk(entry, relative)));
      else
        found.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), relative });
    }
  }
}
