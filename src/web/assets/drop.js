// Drag and drop onto the page: highlighting the drop zone, and the files of a drop (loose
// files, and dropped folders walked recursively with their relative paths kept).

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

/**
 * Accepts files dropped anywhere on the page: `zone` is highlighted while files are dragged
 * over, and `onFiles` receives what `droppedFiles` finds (`onError` if reading them fails).
 */
export function acceptDrops(zone, onFiles, onError) {
  let depth = 0;
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth++;
    zone.classList.add('active');
  });
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('active');
  });
  document.addEventListener('drop', async (event) => {
    if (!event.dataTransfer) return;
    // Never let the browser navigate away to a dropped file.
    event.preventDefault();
    depth = 0;
    zone.classList.remove('active');
    try {
      await onFiles(await droppedFiles(event.dataTransfer));
    } catch (err) {
      onError(err);
    }
  });
}
