// CLI layer: the daemon's control commands — `lvsd status`, `drain`, `disable`, `enable` — as clients of the control socket.
import { controlRequest } from '../control/client.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/defaults.js';
import { ControlError } from '../control/errors.js';
import type { DestinationNow, OverrideOp, OverrideResult } from '../control/protocol.js';
import { renderStatus } from '../control/status.js';
import { CliError } from './errors.js';

/** StatusCliOptions are the options of `lvsd status`. */
export interface StatusCliOptions {
  /** default: DEFAULT_CONTROL_SOCKET */
  readonly controlSocket?: string | undefined;
  readonly json?: boolean;
}

/** TargetCliOptions are the options of `lvsd drain|disable|enable VS RS`. */
export interface TargetCliOptions {
  /** default: DEFAULT_CONTROL_SOCKET */
  readonly controlSocket?: string | undefined;
  readonly udp?: boolean;
  readonly wait?: boolean;
  /** seconds drain --wait waits at most */
  readonly timeout?: string;
}

/** EXIT_DRAIN_TIMEOUT is the exit status of `drain --wait` when connections remain at the timeout (the server stays drained). */
export const EXIT_DRAIN_TIMEOUT = 3;

/** Out is where the commands write (tests capture it). */
export interface Out {
  write(text: string): void;
}

const stdout: Out = { write: (t) => process.stdout.write(t) };

function cliError(err: unknown): unknown {
  return err instanceof ControlError ? new CliError(`${err.message} [${err.code}]`, 1) : err;
}

/** runStatus prints the daemon's status: the table with health and overrides, and VRRP; --json the StatusReport. */
export async function runStatus(opts: StatusCliOptions, out: Out = stdout): Promise<void> {
  try {
    const report = await controlRequest(opts.controlSocket ?? DEFAULT_CONTROL_SOCKET, { op: 'status' });
    out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  } catch (err) {
    throw cliError(err);
  }
}

const where = (ds: readonly DestinationNow[]): string =>
  ds.map((d) => (d.present ? `weight ${d.weight} in ${d.service} (${d.activeConns ?? 0} active, ${d.inactiveConns ?? 0} inactive connections)` : `not in ${d.service}`)).join('; ');

/** describeResult is the one-line answer to drain, disable and enable. */
export function describeResult(r: OverrideResult): string {
  const verb = { drain: 'drained', disable: 'disabled', enable: 'enabled' }[r.op];
  const what = `${r.rs} of ${r.vs}`;
  if (!r.changed) return r.op === 'enable' ? `${what} had no override: it follows configuration and health (${where(r.destinations)})` : `${what} was already ${verb}: ${where(r.destinations)}`;
  if (r.stale) return `${what} ${verb}: the stale override is forgotten`;
  return `${what} ${verb}${r.op === 'enable' ? ', back to configuration and health' : ''}: ${where(r.destinations)}`;
}

/** runOverride sets or clears an override; drain --wait then polls the kernel's connection counts for the server until 0. */
export async function runOverride(op: OverrideOp, vs: string, rs: string, opts: TargetCliOptions, out: Out = stdout, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const timeoutS = Number(opts.timeout ?? '300');
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw new CliError(`--timeout ${opts.timeout}: give a number of seconds`, 2);
  if (opts.wait && op !== 'drain') throw new CliError('--wait applies to drain only', 2);
  const target = { vs, rs, protocol: opts.udp ? ('udp' as const) : ('tcp' as const) };
  const socket = opts.controlSocket ?? DEFAULT_CONTROL_SOCKET;
  try {
    const r = await controlRequest(socket, { op, ...target });
    out.write(`${describeResult(r)}\n`);
    if (!opts.wait) return;
    const t0 = Date.now();
    for (;;) {
      const c = await controlRequest(socket, { op: 'connections', ...target });
      const left = c.active + c.inactive;
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      if (left === 0) {
        out.write(`${c.rs} of ${c.vs} has no connections left (after ${s} s)\n`);
        return;
      }
      if (Date.now() - t0 >= timeoutS * 1000) throw new CliError(`${c.rs} of ${c.vs} still has ${c.active} active and ${c.inactive} inactive connections after ${s} s; it stays drained (wait longer with --timeout, or disable it to cut them)`, EXIT_DRAIN_TIMEOUT);
      await sleep(500);
    }
  } catch (err) {
    throw cliError(err);
  }
}
