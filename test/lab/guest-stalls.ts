// Lab test support: how long the guest as a whole stood still (an idle process's late timers), so timing bounds on
// one program's behaviour can subtract what the host's CPUs took from the whole guest.

/** STALL_WATCH_JS is a guest-side script: every time its 20 ms timer runs more than 30 ms late it records
 * [wall time it ran, ms late]; on SIGTERM it prints them as one JSON line. */
export const STALL_WATCH_JS = `
let last = Date.now();
const stalls = [];
console.log('watching');
setInterval(() => { const now = Date.now(); const late = now - last - 20; if (late > 30) stalls.push([now, late]); last = now; }, 20);
process.on('SIGTERM', () => { console.log(JSON.stringify(stalls)); process.exit(0); });
`;

/** Stall is a stretch of wall time [from, to] (ms) when the guest ran nothing. */
export interface Stall {
  readonly from: number;
  readonly to: number;
}

/** parseStalls reads STALL_WATCH_JS's output. */
export function parseStalls(stdout: string): Stall[] {
  const line = stdout.split('\n').find((l) => l.startsWith('['));
  if (!line) throw new Error(`the stall watcher printed no result: ${stdout.slice(-300)}`);
  return (JSON.parse(line) as [number, number][]).map(([at, late]) => ({ from: at - late, to: at }));
}

/** Gap is the time between two consecutive events, with how much of it the whole guest stood still. */
export interface Gap {
  readonly at: number;
  readonly ms: number;
  readonly guestStalledMs: number;
}

/** gapsOver lists the gaps between consecutive `times` (ms) longer than `limitMs` once the guest's own stalls within
 * each gap are taken out: the delays the program itself caused. */
export function gapsOver(times: readonly number[], stalls: readonly Stall[], limitMs: number): Gap[] {
  const out: Gap[] = [];
  for (let i = 1; i < times.length; i++) {
    const [a, b] = [times[i - 1] as number, times[i] as number];
    let stalled = 0;
    for (const s of stalls) stalled += Math.max(0, Math.min(b, s.to) - Math.max(a, s.from));
    if (b - a - stalled > limitMs) out.push({ at: b, ms: Math.round(b - a), guestStalledMs: Math.round(stalled) });
  }
  return out;
}
