// CLI layer: the action behind `lvsd restore` (loaded on demand by src/cli/ipvs.ts). Kept apart from list and save,
// and the full parser loaded only when the compiled fast path does not take the input: a restore then loads about
// half the code it did (each module read and compiled at start is time in the lab's guest).
import { readFileSync } from 'node:fs';
import { withIpvsClient } from '../ipvs/client.js';
import { compiledLines, compiledSource, compileRestore } from '../ipvs/codec-restore.js';
import { NetlinkError } from '../ipvs/errors.js';
import type { SessionCounters } from '../netlink/session.js';
import { CliError } from './errors.js';
import type { RestoreCliOptions } from './ipvs.js';

const loadParser = () => import('../ipvs/restore-parse.js');

/**
 * runRestore reads `ipvsadm -R` input, refuses it whole when a line does not parse, and otherwise applies every
 * operation in batches, reporting each one the kernel refused with its input line. Input made only of the lines
 * `ipvsadm -S -n` writes is compiled straight into netlink messages (codec-restore.ts); any other goes through the
 * full parser, which reports every problem.
 */
export async function runRestore(file: string | undefined, o: RestoreCliOptions): Promise<void> {
  const source = file ?? 'stdin';
  let input: Buffer;
  try {
    input = readFileSync(file ?? 0);
  } catch (err) {
    throw new CliError(`cannot read ${source}: ${(err as Error).message}`, 1);
  }
  const t0 = nowMs();
  const compiled = compileRestore(input);
  if (compiled) {
    const t1 = nowMs();
    await withIpvsClient(async (client) => {
      const failures = await client.batch((family) => compiledSource(compiled, family));
      failures.sort((a, b) => a.index - b.index);
      const lines = compiledLines(compiled, failures.map((f) => f.index));
      for (const [k, f] of failures.entries()) {
        const op = (await loadParser()).parseRestore(lineText(input, compiled.starts[f.index]!)).ops[0]!.op;
        process.stderr.write(`lvsd restore: ${source} line ${lines[k]}: ${new NetlinkError(f.errno, op.op, op).message}\n`);
      }
      if (o.verbose) report(client.counters, compiled.count, t1 - t0, nowMs() - t1);
      if (failures.length > 0) throw new CliError(`restore: ${failures.length} of ${compiled.count} operations failed`, 1);
    });
    return;
  }
  const text = input.toString('utf8');
  const parsed = (await loadParser()).parseRestore(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  for (const d of parsed.diagnostics) {
    process.stderr.write(`lvsd restore: ${source} line ${d.line}${d.column ? `:${d.column}` : ''}: ${d.severity}: ${d.message} (${d.hint})\n`);
  }
  if (errors.length > 0) throw new CliError(`restore: nothing applied: ${errors.length} line${errors.length === 1 ? '' : 's'} of ${source} did not parse`, 1);
  const t1 = nowMs();
  await withIpvsClient(async (client) => {
    const failures = await client.apply(parsed.ops.map((r) => r.op));
    for (const f of failures) process.stderr.write(`lvsd restore: ${source} line ${parsed.ops[f.index]!.line}: ${f.error.message}\n`);
    if (o.verbose) report(client.counters, parsed.ops.length, t1 - t0, nowMs() - t1);
    if (failures.length > 0) throw new CliError(`restore: ${failures.length} of ${parsed.ops.length} operations failed`, 1);
  });
}

function report(c: Readonly<SessionCounters>, operations: number, parseMs: number, applyMs: number): void {
  process.stderr.write(`lvsd restore: ${operations} operations in ${c.datagramsSent - 1} datagrams; parse ${parseMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms (${c.sendMs.toFixed(0)} ms of it in sendmsg, where the kernel handles them)\n`);
}

/** lineText is the text of the input line that starts at a byte offset (to name an operation the kernel refused). */
function lineText(input: Buffer, start: number): string {
  const end = input.indexOf(10, start);
  return input.toString('utf8', start, end < 0 ? input.length : end);
}

/** nowMs is a monotonic clock in milliseconds; the global performance would load perf_hooks' ten modules (~0.1 s in the lab guest) on first use. */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
