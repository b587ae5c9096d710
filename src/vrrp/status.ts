// VRRP layer (pure): renders the VRRP instances' status for `lvsd status` as fixed-width text.
import type { InstanceStatus } from './manager.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

/**
 * renderVrrpStatus is the VRRP section of `lvsd status`: one line per instance with its state, effective priority,
 * the master it hears and its packet counts; then, for rows that carry them, the details — VRID, base and effective
 * priority, the master heard with its priority and how long ago its last advert came, the advert and master-down
 * intervals and the next deadline — and a line per split brain. `now` (epoch ms) dates the relative times.
 */
export function renderVrrpStatus(rows: readonly InstanceStatus[], now: number = Date.now()): string {
  if (rows.length === 0) return '';
  const lines = ['VRRP Instance        State    Prio  Master           Sent     Received Dropped'];
  for (const r of rows) {
    const dropped = Object.values(r.counters.dropped).reduce((a, b) => a + (b ?? 0), 0);
    lines.push(`${r.name.padEnd(20)} ${r.state.padEnd(8)} ${String(r.priority).padStart(4)}  ${(r.master ?? '-').padEnd(16)} ${String(r.counters.sent).padStart(8)} ${String(r.counters.received).padStart(8)} ${String(dropped).padStart(7)}`);
  }
  const detailed = rows.filter((r) => r.timers !== undefined || r.basePriority !== undefined);
  if (detailed.length > 0) {
    lines.push('', 'VRRP Instance        VRID Base  Eff  Heard master (prio)     Last advert  Advert   Down     Next');
    for (const r of detailed) {
      const heard = r.master === undefined ? '-' : `${r.master}${r.masterPriority === undefined ? '' : ` (${r.masterPriority})`}`;
      const last = r.lastAdvertAt === undefined ? '-' : `${seconds(Math.max(0, now - r.lastAdvertAt))} ago`;
      const t = r.timers;
      const next = t?.next === undefined ? '-' : `${t.next.timer} in ${seconds(Math.max(0, t.next.at - now))}`;
      lines.push(
        `${r.name.padEnd(20)} ${String(r.vrid ?? '-').padStart(4)} ${String(r.basePriority ?? '-').padStart(4)} ${String(r.effectivePriority ?? r.priority).padStart(4)}  ${heard.padEnd(23)} ${last.padEnd(12)} ${(t ? `${t.advertIntervalMs}ms` : '-').padEnd(8)} ${(t ? `${Math.round(t.masterDownIntervalMs)}ms` : '-').padEnd(8)} ${next}`,
      );
    }
  }
  for (const r of rows) {
    if (!r.splitBrain) continue;
    const p = r.splitBrainPeer;
    const since = r.splitBrainSince === undefined ? '' : ` for ${seconds(Math.max(0, now - r.splitBrainSince))}`;
    const peer = p ? `${p.address} (priority ${p.priority}) is Master too${p.accepted ? '' : ` and its adverts are dropped here (${p.reason ?? 'mismatch'})`}` : 'another Master is heard';
    lines.push(`SPLIT BRAIN ${r.name}${since}: ${peer}`);
  }
  return `${lines.join('\n')}\n`;
}
