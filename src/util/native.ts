// Util layer (I/O edge): where native/ was built — the packet addon and the spawn helper live in native/build/Release.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** findNativeBuild is the path of `name` in native/build/Release, looking upwards from this module (src/util in tests,
 * dist/ or dist/chunks when bundled), or undefined when it was not built. */
export function findNativeBuild(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'native', 'build', 'Release', name);
    if (existsSync(file)) return file;
    dir = dirname(dir);
  }
  return undefined;
}
