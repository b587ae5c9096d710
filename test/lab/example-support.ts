// Lab test support: the example files of examples/ as the lab runs them (each substitution visible at its call), and
// the probes the example tests share: which host holds a VIP, which server answers from which client address.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import type { Lab, LabProcess } from '../../src/lab/lab.js';

/** CHECKOUT is the project checkout; the examples are read from its examples/ folder. */
export const CHECKOUT = findCheckout();

/** LVSD runs the built CLI as users do (`npm run build` first). */
export const LVSD = `node ${CHECKOUT}/bin/lvsd`;

/** example reads examples/<layout>/<file> as shipped. */
export function example(layout: string, file: string): string {
  return readFileSync(join(CHECKOUT, 'examples', layout, file), 'utf8');
}

/**
 * substitute applies each [from, to] replacement to an example and fails the test when one matches nothing, so a
 * substitution can never silently stop applying when the example changes.
 */
export function substitute(text: string, replacements: readonly (readonly [RegExp | string, string])[]): string {
  let out = text;
  for (const [from, to] of replacements) {
    const next = out.replace(typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from, to);
    expect(next, `substitution ${String(from)} matched nothing`).not.toBe(out);
    out = next;
  }
  return out;
}

/** holds is a shell test: the VIP is on the host's eth0. */
export const holds = (vip: string): string => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;

/** lacks is a shell test: the VIP is not on the host's eth0. */
export const lacks = (vip: string): string => `! ${holds(vip)}`;

/** inTable is a shell test: the IPVS service VIP:80 has the real server RS:80. */
export const inTable = (vip: string, rs: string): string => `ipvsadm -L -n -t ${vip}:80 | grep -q ' ${rs}:80 '`;

/** startLvsd starts `lvsd run -f CONF` on a host and waits for its ready event. */
export async function startLvsd(lab: Lab, host: string, conf: string): Promise<LabProcess> {
  const p = lab.spawn(host, `exec ${LVSD} run -f ${conf}`);
  try {
    await p.waitForOutput(/"event":"ready"/, { timeoutMs: 40_000 });
  } catch (err) {
    // where a daemon that never got ready is: each lvsd's and lvsd-spawn's state and kernel wait channel
    const ps = await lab.exec(null, "cat /proc/loadavg; ps -eo pid,ppid,stat,wchan:28,etime,time,args | grep -E 'lvsd|PID' | grep -v grep", { timeoutMs: 10_000 }).catch((e: Error) => ({ stdout: e.message }));
    throw new Error(`${(err as Error).message}\n--- guest processes ---\n${ps.stdout}`, { cause: err });
  }
  return p;
}

/** fetchFrom asks http://VIP/ once from each client source address (in order) and returns the bodies, FAILED for none. */
export async function fetchFrom(lab: Lab, vip: string, sources: readonly string[], curlArgs = ''): Promise<string[]> {
  const r = await lab.exec('client', `for s in ${sources.join(' ')}; do curl -s --max-time 10 ${curlArgs} --interface $s http://${vip}/ || echo FAILED; done`, { timeoutMs: 30_000 + sources.length * 11_000 });
  return r.stdout.trim().split('\n').map((l) => l.trim());
}

/** timed runs act, then waits until the shell test is true on the host, and returns the seconds from act to true. */
export async function timed(lab: Lab, host: string, act: () => Promise<unknown>, until: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await act();
  await lab.waitFor(host, until, { timeoutMs, intervalMs: 100 });
  return (Date.now() - t0) / 1000;
}

/** count is how many times each value occurs. */
export function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
