// Build step: bundles the CLI into one ESM file so that startup opens few files (syscalls are slow in the lab guest).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

// commander loads node:child_process at start for stand-alone executable subcommands, which lvsd does not have:
// loading it cost ~0.2 s of every command in the lab guest. It is loaded on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${args.path}: commander changed: update the lazy-child-process plugin`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

// An ESM import of a builtin builds its ESM facade, which reads every export once: for node:fs that runs the lazy
// getters of ReadStream and promises and so loads the whole streams stack and fs/promises (~0.3 s of every command in
// the lab guest, 50 builtin modules). Our own imports of builtins are taken through require instead, which reads a
// property only when the code uses it.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.kind !== 'import-statement' || args.path === 'node:module') return undefined;
      return { path: args.path, namespace: 'builtin-by-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const result = await build({
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
  external: ['netlink', 'raw-socket', 'pino', 'pino-pretty', 'esbuild', 'prom-client'],
  banner: { js: "import { createRequire as __lvsdCreateRequire } from 'node:module'; const require = __lvsdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
  plugins: [lazyChildProcess, builtinsByRequire],
});

// Files are replaced by rename, chunks before the entries that name them, so that an lvsd started while a build
// runs (a lab test, the daemon in the guest) never reads a half-written file or misses a chunk.
const root = process.cwd();
const outputs = [...result.outputFiles].sort((a, b) => Number(!a.path.includes('/chunks/')) - Number(!b.path.includes('/chunks/')));
for (const f of outputs) {
  mkdirSync(dirname(f.path), { recursive: true });
  const tmp = `${f.path}.${process.pid}.tmp`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
}

// Chunk names carry content hashes: old chunks are removed once they are an hour old (a running process may still
// load them), or at once with --prune (packing a release).
const maxAge = process.argv.includes('--prune') ? -1 : 3_600_000;
const fresh = new Set(outputs.map((f) => relative(root, f.path)));
const chunks = join('dist', 'chunks');
for (const name of readdirSync(chunks)) {
  const p = join(chunks, name);
  if (!fresh.has(p) && Date.now() - statSync(p).mtimeMs > maxAge) rmSync(p, { force: true });
}
