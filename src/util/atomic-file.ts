// Util layer (I/O edge): durable file replacement for state files — write a temporary file, fsync, rename, fsync the folder.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** writeFileAtomic replaces `path` with `text` so that a crash leaves the old or the new file, never a part; throws the fs error, leaving no temporary file. */
export function writeFileAtomic(path: string, text: string, modes: { readonly dir: number; readonly file: number }): void {
  const dir = dirname(path);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dir, { recursive: true, mode: modes.dir });
    writeFileSync(tmp, text, { mode: modes.file });
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was left behind
    }
    throw err;
  }
}
