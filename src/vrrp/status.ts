// VRRP layer (pure): renders the VRRP instances' status for `lvsd status` as fixed-width text.
import type { InstanceStatus } from './manager.js';

/** renderVrrpStatus is the VRRP section of `lvsd status`: one line per instance, its state, priority and the master it hears. */
export function renderVrrpStatus(rows: readonly InstanceStatus[]): string {
  if (rows.length === 0) return '';
  const lines = ['VRRP Instance        State    Prio  Master           Sent     Received Dropped'];
  for (const r of rows) {
    const dropped = Object.values(r.counters.dropped).reduce((a, b) => a + (b ?? 0), 0);
    lines.push(`${r.name.padEnd(20)} ${r.state.padEnd(8)} ${String(r.priority).padStart(4)}  ${(r.master ?? '-').padEnd(16)} ${String(r.counters.sent).padStart(8)} ${String(r.counters.received).padStart(8)} ${String(dropped).padStart(7)}`);
  }
  return `${lines.join('\n')}\n`;
}
