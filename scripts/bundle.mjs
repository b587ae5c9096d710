// Build step: bundles the CLI into one ESM file so that startup opens few files (syscalls are slow in the lab guest).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// chunk names carry content hashes: start from an empty folder so that stale chunks do not pile up
rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: { lvsd: 'src/cli/entry.ts', demo: 'demo/l2.ts', bench: 'bench/run.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // dynamic imports become chunks: a command loads only its own code
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // native addons and pino's worker transports must stay real packages
  external: ['netlink', 'raw-socket', 'pino', 'pino-pretty', 'esbuild'],
  banner: { js: "import { createRequire as __lvsdCreateRequire } from 'node:module'; const require = __lvsdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
