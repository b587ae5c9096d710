// Config layer: the narrow filesystem interface the parser reads through, its real implementation and an in-memory fake.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { globPaths, type DirLister } from './glob.js';

/** ConfigFs is everything the configuration parser needs from a filesystem. */
export interface ConfigFs {
  /** readFile returns a file's text; it throws an Error (with `code` such as ENOENT) when the file cannot be read. */
  readFile(path: string): string;
  /** glob returns the regular files matching an absolute glob(3) pattern with brace expansion, sorted per brace alternative. */
  glob(pattern: string): string[];
}

/** nodeFs is the ConfigFs backed by the host's filesystem. */
export const nodeFs: ConfigFs = Object.freeze({
  readFile(path: string): string {
    return readFileSync(path, 'utf8');
  },
  glob(pattern: string): string[] {
    const lister: DirLister = {
      entries(dir) {
        try {
          return readdirSync(dir);
        } catch {
          return undefined;
        }
      },
      kind(path) {
        try {
          const st = statSync(path);
          return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
        } catch {
          return undefined;
        }
      },
    };
    return globPaths(pattern, lister);
  },
});

/** memoryFs returns a ConfigFs over a map of absolute file paths to contents (for tests); directories are implied by the paths. */
export function memoryFs(files: Readonly<Record<string, string>>): ConfigFs {
  const contents = new Map<string, string>();
  const dirs = new Map<string, Set<string>>();
  for (const [raw, text] of Object.entries(files)) {
    const path = posix.normalize(raw);
    contents.set(path, text);
    let child = path;
    let dir = posix.dirname(path);
    for (;;) {
      const set = dirs.get(dir) ?? new Set<string>();
      set.add(posix.basename(child));
      dirs.set(dir, set);
      if (dir === '/' || dir === '.') break;
      child = dir;
      dir = posix.dirname(dir);
    }
  }
  const lister: DirLister = {
    entries: (dir) => {
      const set = dirs.get(posix.normalize(dir));
      return set ? [...set] : undefined;
    },
    kind: (path) => {
      const p = posix.normalize(path);
      return contents.has(p) ? 'file' : dirs.has(p) ? 'dir' : undefined;
    },
  };
  return Object.freeze({
    readFile(path: string): string {
      const p = posix.normalize(path);
      const text = contents.get(p);
      if (text !== undefined) return text;
      const err = new Error(`${dirs.has(p) ? 'EISDIR: illegal operation on a directory' : 'ENOENT: no such file or directory'}, open '${path}'`);
      Object.assign(err, { code: dirs.has(p) ? 'EISDIR' : 'ENOENT' });
      throw err;
    },
    glob(pattern: string): string[] {
      return globPaths(pattern, lister);
    },
  });
}
