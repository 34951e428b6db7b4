import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join, normalize, isAbsolute } from 'node:path';
import { KhoaError } from '@khoa/protocol';

/** One file of a device bundle, by path relative to the bundle directory. */
export interface BundleFile {
  path: string;
  content: string;
  /** 0o600 for anything holding a secret, 0o644 otherwise. */
  mode: number;
}

/**
 * Writes a bundle into `dir`. Every file is created exclusively (an existing one is never
 * overwritten: it may hold the credentials of a device in the field) with its mode set at
 * creation, so a secret is never readable by others even for a moment. If any write fails,
 * the files written so far are removed and the error is thrown: a half bundle is worse than none.
 * Returns a function that removes the bundle, for the caller's own rollback.
 */
export async function writeBundle(dir: string, files: BundleFile[]): Promise<() => Promise<void>> {
  const written: string[] = [];
  const madeDirs: string[] = [];
  const remove = async () => {
    for (const f of written.reverse()) await rm(f, { force: true });
    // Directories this call made hold only this bundle's files.
    for (const d of madeDirs.reverse()) await rm(d, { recursive: true, force: true });
  };
  try {
    for (const f of files) {
      const rel = normalize(f.path);
      if (isAbsolute(rel) || rel.startsWith('..')) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `bundle path ${f.path}`, { file: f.path });
      const file = join(dir, rel);
      // 0700: the bundle directory holds secrets; mkdir reports the first directory it made.
      const made = await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      if (made) madeDirs.push(made);
      let handle;
      try {
        handle = await open(file, 'wx', f.mode);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new KhoaError('KHOA_ERR_CONFIG_FILE', code === 'EEXIST' ? `${file} exists; not overwriting a device's bundle` : `${file}: ${(err as Error).message}`, { file }, { cause: err });
      }
      written.push(file);
      try {
        // open() applies the process umask; chmod makes the mode exact (0644 stays 0644).
        await handle.chmod(f.mode);
        await handle.writeFile(f.content, 'utf8');
      } finally {
        await handle.close();
      }
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return remove;
}
