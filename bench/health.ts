// Benchmark (health layer): N TCP checks at delay_loop 1 — lvsd's HealthMonitor, then keepalived 2.2.7, against the same loopback listeners; interval error and CPU.
//
// Run: npx vite-node bench/health.ts [-- CHECKS SECONDS ORDER]   (default 5000 checks, 30 s per tool, lvsd-first)
// The measured processes run plain node on an esbuild bundle of this file (no vite-node in the measurement).
// Traffic stays on loopback: targets are 127.77.A.B:PORT listeners in a child process that timestamps each accept.
// This host has no IPVS: keepalived's checker exits at start when it cannot initialise IPVS, so it runs with a
// small LD_PRELOAD shim (compiled here with cc) that answers its IPVS sockopts with success; its checking code is untouched.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenerRole, lvsdRole, type LvsdStats, type PhaseStats, type Target } from './health-roles.js';

const KEEPALIVED = '/usr/sbin/keepalived';
const PER_ADDRESS = 100;
const SKIP_MS = 5000; // warm-up and start-up excluded from the figures
const TAIL_MS = 1000;

const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
/* IP_VS_BASE_CTL (1152) .. IP_VS_SO_GET_MAX (1163) from linux/ip_vs.h: pretend IPVS is there */
int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (level == IPPROTO_IP && name >= 1152 && name <= 1163) return 0;
  if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  return real(fd, level, name, val, len);
}
int getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
  static int (*real)(int, int, int, void *, socklen_t *);
  if (level == IPPROTO_IP && name >= 1152 && name <= 1163) {
    memset(val, 0, *len);
    if (name == 1153 && *len >= 12) { unsigned *u = val; u[0] = 0x010201; u[1] = 4096; u[2] = 0; }
    return 0;
  }
  if (!real) real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
  return real(fd, level, name, val, len);
}
`;

function targetsFor(n: number): Target[] {
  return Array.from({ length: n }, (_, i) => {
    const a = Math.floor(i / PER_ADDRESS) + 1;
    return { address: `127.77.${a >> 8}.${a & 255}`, port: 20000 + (i % PER_ADDRESS) };
  });
}

/** keepalivedConf is one virtual server per target address, each target a real server with a TCP_CHECK at delay_loop 1. */
function keepalivedConf(targets: readonly Target[]): string {
  const byAddr = new Map<string, Target[]>();
  for (const t of targets) byAddr.set(t.address, [...(byAddr.get(t.address) ?? []), t]);
  const out = ['global_defs {', '  router_id lvsd_health_bench', '}'];
  let v = 0;
  for (const [, ts] of byAddr) {
    out.push(`virtual_server 127.78.0.1 ${10000 + v++} {`, '  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
    for (const t of ts) out.push(`  real_server ${t.address} ${t.port} {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 3', '      retry 1', '      delay_before_retry 1', '    }', '  }');
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** cpuTicks is utime+stime (clock ticks) of `pid` and all its descendants. */
function cpuTicks(pid: number): { ticks: number; rssKb: number } {
  const stat = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stat.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, s] of stat) if (!tree.has(p) && tree.has(s.ppid)) (tree.add(p), (grew = true));
  }
  let ticks = 0;
  let rssKb = 0;
  for (const p of tree) {
    ticks += stat.get(p)?.ticks ?? 0;
    try {
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended
    }
  }
  return { ticks, rssKb };
}

/** machineTicks is the busy time of all CPUs and the part spent in softirq (clock ticks), from /proc/stat. */
function machineTicks(): { busy: number; softirq: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return { busy: (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0), softirq: f[6] ?? 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ask<T>(child: ChildProcess, msg: object, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { cmd: string } & Record<string, unknown>): void => {
      if (m.cmd !== reply) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

interface ToolResult {
  readonly listener: PhaseStats;
  readonly cpuPct: number;
  readonly listenerCpuPct: number;
  /** the kernel's packet processing (loopback, both ends), charged to no process */
  readonly softirqPct: number;
  /** CPU used by everything else on the machine during the window (other sessions, the kernel's own threads) */
  readonly otherCpuPct: number;
  readonly rssMb: number;
  readonly lvsd?: LvsdStats;
  readonly note?: string;
}

/** measure runs one tool for `seconds` while the listener records, sampling the tool's CPU over the steady window. */
async function measure(listener: ChildProcess, seconds: number, launch: () => ChildProcess, finish: (c: ChildProcess) => Promise<void>): Promise<ToolResult> {
  await ask(listener, { cmd: 'reset' }, 'reset-ok');
  const child = launch();
  await sleep(SKIP_MS);
  const c0 = cpuTicks(child.pid as number);
  const l0 = cpuTicks(listener.pid as number);
  const m0 = machineTicks();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000 - SKIP_MS - TAIL_MS);
  const c1 = cpuTicks(child.pid as number);
  const l1 = cpuTicks(listener.pid as number);
  const m1 = machineTicks();
  const self = process.cpuUsage(self0);
  const t1 = performance.now();
  const pct = (ticks: number): number => (ticks / 100 / ((t1 - t0) / 1000)) * 100;
  const selfTicks = ((self.user + self.system) / 1e6) * 100;
  const { stats } = await ask<{ stats: PhaseStats }>(listener, { cmd: 'report', skipMs: SKIP_MS, endAt: performance.timeOrigin + t1 }, 'stats');
  await finish(child);
  const toolTicks = c1.ticks - c0.ticks;
  const listenerTicks = l1.ticks - l0.ticks;
  const softirq = m1.softirq - m0.softirq;
  const other = m1.busy - m0.busy - softirq - toolTicks - listenerTicks - selfTicks;
  return { listener: stats, cpuPct: pct(toolTicks), listenerCpuPct: pct(listenerTicks), softirqPct: pct(softirq), otherCpuPct: Math.max(0, pct(other)), rssMb: c1.rssKb / 1024 };
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => (clearTimeout(t), resolve()));
  });
}

async function main(): Promise<void> {
  const [checksArg = '5000', secondsArg = '30', order = 'lvsd-first'] = process.argv.slice(2);
  const n = Number(checksArg);
  const seconds = Number(secondsArg);
  if (!(n > 0 && n <= 20000 && seconds >= 10 && seconds <= 120 && (order === 'lvsd-first' || order === 'keepalived-first'))) throw new Error('usage: health.ts [CHECKS 1..20000] [SECONDS 10..120] [lvsd-first|keepalived-first]');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-health-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { build } = await import('esbuild');
    const bundle = join(dir, 'health-bench.mjs');
    await build({ entryPoints: [fileURLToPath(import.meta.url)], outfile: bundle, bundle: true, platform: 'node', target: 'node20', format: 'esm', external: ['esbuild'], banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }, logLevel: 'warning' });
    const targets = targetsFor(n);
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, keepalivedConf(targets));
    writeFileSync(join(dir, 'targets.json'), JSON.stringify(targets));
    process.stdout.write(`health bench: ${n} TCP checks at delay_loop 1 s, ${seconds} s per tool; figures over [${SKIP_MS / 1000} s, ${seconds - TAIL_MS / 1000} s] of each run\n`);

    const listener = fork(bundle, ['listener', join(dir, 'targets.json')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(listener);
    await new Promise<void>((resolve, reject) => {
      listener.once('message', () => resolve());
      listener.once('exit', (c) => reject(new Error(`listener exited (${c})`)));
    });

    const runLvsd = async (): Promise<[ToolResult, LvsdStats]> => {
      let out = '';
      const r = await measure(
        listener,
        seconds,
        () => {
          const c = spawn(process.execPath, [bundle, 'lvsd', conf, String(seconds), String(SKIP_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
          c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
          children.push(c);
          return c;
        },
        (c) => waitExit(c, 15_000),
      );
      return [r, JSON.parse(out.trim().split('\n').pop() ?? '{}') as LvsdStats];
    };

    const runKeepalived = async (): Promise<[ToolResult | undefined, string]> => {
      if (!existsSync(KEEPALIVED)) return [undefined, `${KEEPALIVED} is not installed`];
      const shim = join(dir, 'ipvs-shim.so');
      writeFileSync(join(dir, 'ipvs-shim.c'), SHIM_C);
      try {
        execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, join(dir, 'ipvs-shim.c'), '-ldl'], { stdio: 'inherit' });
      } catch {
        return [undefined, 'no C compiler for the IPVS shim: keepalived not run'];
      }
      let log = '';
      const r = await measure(
        listener,
        seconds,
        () => {
          const c = spawn(KEEPALIVED, ['-n', '-C', '-l', '-G', '-f', conf, '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ka-check.pid')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LD_PRELOAD: shim } });
          c.stdout?.on('data', (b: Buffer) => (log += b.toString()));
          c.stderr?.on('data', (b: Buffer) => (log += b.toString()));
          children.push(c);
          return c;
        },
        async (c) => {
          c.kill('SIGTERM');
          await waitExit(c, 15_000);
        },
      );
      const failed = (log.match(/TCP_CHECK on service .* failed|TCP connection to .* timeout/g) ?? []).length;
      return [r, `keepalived log: ${failed} check failures${/Startup complete/.test(log) ? '' : ' (it never logged "Startup complete")'}`];
    };

    // the second tool runs with the first one's TIME_WAIT sockets still around: `order` swaps them to check it does not matter
    let lvsd: [ToolResult, LvsdStats];
    let keepalived: [ToolResult | undefined, string];
    if (order === 'keepalived-first') {
      keepalived = await runKeepalived();
      lvsd = await runLvsd();
    } else {
      lvsd = await runLvsd();
      keepalived = await runKeepalived();
    }
    listener.send({ cmd: 'exit' });
    await waitExit(listener, 5000);
    report(lvsd[0], lvsd[1], keepalived[0], `${keepalived[1]}; order: ${order}`);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(lvsd: ToolResult, ls: LvsdStats, ka: ToolResult | undefined, note: string): void {
  const f = (x: number | undefined, d = 2): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const rows: [string, (r: ToolResult) => string][] = [
    ['checks/s seen at listeners', (r) => f(r.listener.acceptsPerS, 0)],
    ['targets seen', (r) => String(r.listener.targetsSeen)],
    ['interval error p50 (ms)', (r) => f(r.listener.intervalErr.p50)],
    ['interval error p99 (ms)', (r) => f(r.listener.intervalErr.p99)],
    ['interval error max (ms)', (r) => f(r.listener.intervalErr.max)],
    ['mean interval (ms)', (r) => f(r.listener.meanIntervalMs, 3)],
    ['drift vs t0+k*1s p50 (ms)', (r) => f(r.listener.gridErr.p50)],
    ['drift vs t0+k*1s p99 (ms)', (r) => f(r.listener.gridErr.p99)],
    ['drift vs t0+k*1s max (ms)', (r) => f(r.listener.gridErr.max)],
    ['CPU (% of one core)', (r) => f(r.cpuPct, 1)],
    ['RSS (MB)', (r) => f(r.rssMb, 0)],
    ['listener CPU (% of one core)', (r) => f(r.listenerCpuPct, 1)],
    ['listener loop delay p99 (ms)', (r) => f(r.listener.listenerLagP99Ms)],
    ['host softirq, both ends (%)', (r) => f(r.softirqPct, 1)],
    ['other load on the host (%)', (r) => f(r.otherCpuPct, 1)],
  ];
  const lines = [`${'measured at the listeners'.padEnd(30)}${'lvsd'.padStart(12)}${'keepalived'.padStart(14)}`];
  for (const [name, get] of rows) lines.push(`${name.padEnd(30)}${get(lvsd).padStart(12)}${(ka ? get(ka) : '-').padStart(14)}`);
  lines.push(`lvsd internal: ${ls.checks} checks; start − ideal p50 ${f(ls.startLate.p50)} ms, p99 ${f(ls.startLate.p99)} ms, max ${f(ls.startLate.max)} ms over ${ls.startLate.n} starts; ${ls.downs} down events; max waiting for a slot ${ls.maxWaiting}`);
  if (note) lines.push(note);
  if (Math.max(lvsd.otherCpuPct, ka?.otherCpuPct ?? 0) > 20) lines.push('warning: other processes used the CPU during the run (2 cores in all); the figures are noisier than on a quiet host');
  process.stdout.write(`${lines.join('\n')}\n`);
}

const role = process.argv[2];
if (role === 'listener') {
  const targets = JSON.parse(readFileSync(process.argv[3] as string, 'utf8')) as Target[];
  listenerRole(targets, 1000).catch((err: unknown) => {
    process.stderr.write(`listener failed: ${String(err)}\n`);
    process.exit(1);
  });
} else if (role === 'lvsd') {
  lvsdRole(process.argv[3] as string, Number(process.argv[4]), Number(process.argv[5])).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`lvsd failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`health bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
