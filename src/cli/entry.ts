// CLI layer: process entry point bundled into dist/lvsd.mjs.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lvsd: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
