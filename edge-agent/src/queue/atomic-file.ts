import fs from 'node:fs';
import path from 'node:path';

/**
 * Replaces a small file so that a power cut leaves either the old or the new content, never a
 * torn mix: write a temporary sibling, fsync it, rename over the target, fsync the directory
 * (the rename itself is only durable once the directory entry is).
 */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(path.dirname(file));
}

export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL/EISDIR); the data is still written.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads a JSON file; `undefined` when it does not exist, throws on other read errors, returns `null` for unparsable content. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
