// Benchmark roles (health layer): the loopback listeners that timestamp every accepted check, and lvsd's HealthMonitor as a measured process.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer, type Server } from 'node:net';
import { loadConfig } from '../src/config/index.js';
import { HealthMonitor } from '../src/health/index.js';

/** Target is one checked server: a loopback address and port. */
export interface Target {
  readonly address: string;
  readonly port: number;
}

/** PhaseStats are the listener-side figures of one tool's run (ms unless said). */
export interface PhaseStats {
  readonly windowS: number;
  readonly acceptsPerS: number;
  readonly targetsSeen: number;
  /** |interval − delay_loop| over consecutive accepts of one target */
  readonly intervalErr: Quantiles;
  readonly meanIntervalMs: number;
  /** |t_k − (t_0 + k × delay_loop)| per target over the window: the accumulated drift */
  readonly gridErr: Quantiles;
  readonly listenerLagP99Ms: number;
}

/** Quantiles are p50/p99/max of a sample. */
export interface Quantiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** quantiles sorts a copy of `xs` and reads p50, p99 and max. */
export function quantiles(xs: ArrayLike<number>): Quantiles {
  const a = Float64Array.from(xs).sort();
  const at = (q: number): number => (a.length ? (a[Math.min(a.length - 1, Math.floor(q * a.length))] as number) : NaN);
  return { n: a.length, p50: at(0.5), p99: at(0.99), max: a.length ? (a[a.length - 1] as number) : NaN };
}

const now = (): number => performance.timeOrigin + performance.now();

/** listenerRole listens on every target (IPC: 'reset' starts a phase, 'report' answers PhaseStats for it). */
export async function listenerRole(targets: readonly Target[], delayLoopMs: number): Promise<void> {
  let stamps: number[][] = targets.map(() => []);
  let phaseStart = now();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const servers: Server[] = [];
  await Promise.all(
    targets.map(
      (t, i) =>
        new Promise<void>((resolve, reject) => {
          const s = createServer({ pauseOnConnect: true }, (sock) => {
            (stamps[i] as number[]).push(now());
            sock.on('error', () => undefined);
            sock.destroy();
          });
          s.on('error', reject);
          s.listen({ host: t.address, port: t.port, backlog: 511 }, () => resolve());
          servers.push(s);
        }),
    ),
  );
  process.on('message', (m: { cmd: string; skipMs?: number; endAt?: number }) => {
    if (m.cmd === 'reset') {
      stamps = targets.map(() => []);
      phaseStart = now();
      lag.reset();
      process.send?.({ cmd: 'reset-ok', at: phaseStart });
    } else if (m.cmd === 'report') {
      process.send?.({ cmd: 'stats', stats: phaseStats(stamps, phaseStart + (m.skipMs ?? 0), m.endAt ?? now(), delayLoopMs, lag.percentile(99) / 1e6) });
    } else if (m.cmd === 'exit') {
      for (const s of servers) s.close();
      process.exit(0);
    }
  });
  process.send?.({ cmd: 'ready' });
}

function phaseStats(all: number[][], from: number, to: number, loop: number, lagP99: number): PhaseStats {
  const interval: number[] = [];
  const grid: number[] = [];
  let accepts = 0;
  let seen = 0;
  let sum = 0;
  for (const ts of all) {
    const w = ts.filter((t) => t >= from && t <= to);
    accepts += w.length;
    if (w.length) seen++;
    const t0 = w[0] as number;
    for (let k = 1; k < w.length; k++) {
      const d = (w[k] as number) - (w[k - 1] as number);
      interval.push(Math.abs(d - loop));
      sum += d;
      grid.push(Math.abs((w[k] as number) - (t0 + k * loop)));
    }
  }
  const windowS = (to - from) / 1000;
  return { windowS, acceptsPerS: accepts / windowS, targetsSeen: seen, intervalErr: quantiles(interval), meanIntervalMs: interval.length ? sum / interval.length : NaN, gridErr: quantiles(grid), listenerLagP99Ms: lagP99 };
}

/** LvsdStats are lvsd's own figures: start time minus ideal time of every check after the warm-up, and transitions seen. */
export interface LvsdStats {
  readonly checks: number;
  readonly startLate: Quantiles;
  readonly downs: number;
  readonly maxWaiting: number;
  readonly warnings: number;
}

/** lvsdRole runs HealthMonitor on the keepalived.conf for `seconds`, then prints LvsdStats as JSON on stdout. */
export async function lvsdRole(conf: string, seconds: number, skipMs: number): Promise<void> {
  const parsed = loadConfig(conf);
  if (!parsed.model) throw new Error(`lvsd could not load ${conf}: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  const t0 = now();
  const late: number[] = [];
  const mon = new HealthMonitor(parsed.model, {
    scripts: false,
    onCheckStart: (_key, idealAt, startedAt) => {
      if (startedAt - t0 >= skipMs) late.push(startedAt - idealAt);
    },
  });
  let downs = 0;
  let maxWaiting = 0;
  mon.on('change', (e) => {
    if (e.state === 'down') downs++;
  });
  mon.start();
  const sampler = setInterval(() => (maxWaiting = Math.max(maxWaiting, mon.stats().waiting)), 100);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  const checks = mon.stats().checks;
  await mon.stop();
  const stats: LvsdStats = { checks, startLate: quantiles(late), downs, maxWaiting, warnings: mon.warnings.length };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
}
