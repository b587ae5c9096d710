// Benchmark (lab layer): VRRP failover on layout L2 — both directors on lvsd, then both on keepalived; VRRPv2 advert_int 1
// and VRRPv3 advert_int 0.1; failure by link down and by killing the VRRP process on the master (lvs1). For each run:
// time from the failure until lvs2 holds VIP .131 (kernel address event, `ip -ts monitor`), and the longest gap a
// client probing the VIP every 10 ms sees.
//
// Run: npm run build && npx vite-node bench/failover.ts [-- RUNS]   (default 3 runs per case; writes .lab/failover-bench.json)
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCheckout } from '../src/lab/guest.js';
import { drRealServerCommand, L2_VIPS, l2Topology } from '../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../src/lab/lab.js';
import { advertPhase, l2VrrpConfig, masterDownMs, PROBER_JS, probeFigures } from './failover-lab.js';

type Impl = 'lvsd' | 'keepalived';
type Failure = 'link' | 'kill';
const VIP = L2_VIPS[0];
const has = (vip: string) => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;
const PROTOCOLS = [
  { version: 2, advertInt: 1 },
  { version: 3, advertInt: 0.1 },
] as const;

interface Row {
  impl: Impl;
  version: 2 | 3;
  advertInt: number;
  failure: Failure;
  run: number;
  vipMovedMs: number | undefined;
  gapMs: number | undefined;
  /** how long before the failure lvs1's last advert went out */
  phaseMs: number | undefined;
  /** link failures: gap + phase − master_down_interval, the implementation's own delay beyond the RFC's timer */
  delayMs: number | undefined;
  boundMs: number;
}

const checkout = findCheckout();
const runs = Number(process.argv[2] ?? 3);
const SNAPSHOT = join(checkout, '.lab', 'failover-dist');

/** snapshotDist copies dist/ aside so that a rebuild during the benchmark cannot pull chunks from under the daemons. */
function snapshotDist(): void {
  for (let i = 0; i < 10; i++) {
    rmSync(SNAPSHOT, { recursive: true, force: true });
    cpSync(join(checkout, 'dist'), SNAPSHOT, { recursive: true });
    const main = readFileSync(join(SNAPSHOT, 'lvsd.mjs'), 'utf8');
    const chunks = [...main.matchAll(/"\.\/(chunks\/[^"]+\.mjs)"/g)].map((m) => m[1] as string);
    if (chunks.length > 0 && chunks.every((c) => existsSync(join(SNAPSHOT, c)))) return;
  }
  throw new Error('dist/ keeps changing: run the benchmark when no build is running');
}

function command(impl: Impl, host: string, conf: string): string {
  // the pid file names the VRRP process to kill: lvsd's only process, keepalived's VRRP child
  if (impl === 'lvsd') return `echo $BASHPID > /run/vrrp-${host}.pid; exec node ${SNAPSHOT}/lvsd.mjs run -f ${conf}`;
  return `exec keepalived -n -l -D -f ${conf} -p /run/ka-${host}.pid -c /run/ka-${host}-c.pid -r /run/vrrp-${host}.pid`;
}

async function guestMs(lab: Lab, stamp: string): Promise<number> {
  const r = await lab.exec('lvs2', `date -d '${stamp}' +%s%3N`, { check: true });
  return Number(r.stdout.trim());
}

async function oneRun(lab: Lab, prober: string, impl: Impl, version: 2 | 3, advertInt: number, failure: Failure, confs: Record<string, string>, procs: Record<string, LabProcess>): Promise<Omit<Row, 'impl' | 'version' | 'advertInt' | 'failure' | 'run' | 'boundMs'>> {
  const probeMs = Math.round(masterDownMs(version, 80, advertInt) + 4000);
  const monitor = lab.spawn('lvs2', 'exec ip -ts monitor address dev eth0');
  // lvs1's adverts as lvs2 hears them (lvs1 is master of one instance only, so every advert from it is that one's)
  const adverts = lab.spawn('lvs2', "exec tcpdump -i eth0 -n -tt -l --immediate-mode 'ip proto 112 and src host 192.168.56.121'");
  await adverts.waitForOutput(/listening on/, { timeoutMs: 20_000 });
  const probe = lab.spawn('client', `exec node ${prober} ${VIP} 80 ${probeMs} 10`);
  await probe.waitForOutput(/probing/, { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000 * advertInt));
  const act = failure === 'link' ? 'ip link set eth0 down' : 'kill -9 $(cat /run/vrrp-lvs1.pid)';
  const t0 = Number((await lab.exec('lvs1', `date +%s%3N; ${act}`, { check: true })).stdout.trim());
  const figures = probeFigures((await probe.wait(probeMs + 30_000)).stdout, t0);
  await monitor.stop();
  await adverts.stop();
  const phaseMs = advertPhase(adverts.output().stdout, t0);
  const delayMs = failure === 'link' && figures.gapMs !== undefined && phaseMs !== undefined ? Math.round(figures.gapMs + phaseMs - masterDownMs(version, 80, advertInt)) : undefined;
  const line = monitor.output().stdout.split('\n').find((l) => l.includes(` ${VIP}/`) && !l.includes('Deleted'));
  const stamp = line ? /^\[([^\]]+)\]/.exec(line)?.[1] : undefined;
  const vipMovedMs = stamp ? (await guestMs(lab, stamp.replace('T', ' '))) - t0 : undefined;
  // restore: link up, or a new VRRP process on lvs1; then wait for .131 to come back to lvs1 (preemption)
  if (failure === 'link') await lab.exec('lvs1', 'ip link set eth0 up', { check: true });
  else {
    if (impl === 'keepalived') await procs.lvs1!.stop({ graceMs: 5000 });
    else await procs.lvs1!.wait(5000).catch(() => undefined);
    procs.lvs1 = lab.spawn('lvs1', command(impl, 'lvs1', confs.lvs1!));
    // the new process removes the stale address at start, then preempts after its Master_Down_Interval
    if (impl === 'lvsd') await procs.lvs1.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
  }
  await lab.waitFor('lvs2', `! ${has(VIP)}`, { timeoutMs: 60_000, intervalMs: 300 });
  await lab.waitFor('lvs1', has(VIP), { timeoutMs: 30_000, intervalMs: 300 });
  return { vipMovedMs, gapMs: figures.gapMs, phaseMs, delayMs };
}

async function main(): Promise<void> {
  snapshotDist();
  const lab = await startLab(l2Topology(2));
  const rows: Row[] = [];
  try {
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
    const prober = await lab.writeFile('prober.cjs', PROBER_JS);
    for (const impl of ['lvsd', 'keepalived'] as const) {
      for (const { version, advertInt } of PROTOCOLS) {
        const confs: Record<string, string> = {};
        const procs: Record<string, LabProcess> = {};
        for (const d of [1, 2] as const) {
          confs[`lvs${d}`] = await lab.writeFile(`bench-${impl}-v${version}-lvs${d}.conf`, l2VrrpConfig({ director: d, version, advertInt }));
          procs[`lvs${d}`] = lab.spawn(`lvs${d}`, command(impl, `lvs${d}`, confs[`lvs${d}`]!));
        }
        // both daemons up and settled: lvs1 holds .131 and lvs2 .132
        await lab.waitFor('lvs1', has(VIP), { timeoutMs: 60_000, intervalMs: 500 });
        await lab.waitFor('lvs2', has(L2_VIPS[1]), { timeoutMs: 60_000, intervalMs: 500 });
        for (const failure of ['link', 'kill'] as const) {
          for (let run = 1; run <= runs; run++) {
            const r = await oneRun(lab, prober, impl, version, advertInt, failure, confs, procs);
            const row: Row = { impl, version, advertInt, failure, run, ...r, boundMs: masterDownMs(version, 80, advertInt) + 50 };
            rows.push(row);
            process.stdout.write(`${impl} v${version} advert_int ${advertInt} ${failure} #${run}: VIP on lvs2 after ${r.vipMovedMs ?? '?'} ms, client gap ${r.gapMs ?? '?'} ms (master_down + 50 = ${row.boundMs} ms), last advert ${r.phaseMs ?? '?'} ms before${r.delayMs === undefined ? '' : `, delay beyond master_down − phase ${r.delayMs} ms`}\n`);
          }
        }
        for (const p of Object.values(procs)) await p.stop({ graceMs: 10_000 });
      }
    }
  } finally {
    await lab.stop();
    mkdirSync(join(checkout, '.lab'), { recursive: true });
    writeFileSync(join(checkout, '.lab', 'failover-bench.json'), JSON.stringify(rows, null, 2));
  }
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : undefined);
  process.stdout.write('\nmedians (VIP moved / client gap / link: delay beyond master_down − phase, ms):\n');
  for (const impl of ['lvsd', 'keepalived'])
    for (const { version, advertInt } of PROTOCOLS)
      for (const failure of ['link', 'kill']) {
        const sel = rows.filter((r) => r.impl === impl && r.version === version && r.failure === failure);
        process.stdout.write(`  ${impl.padEnd(10)} v${version} ${String(advertInt).padEnd(3)} ${failure.padEnd(4)}: ${median(sel.flatMap((r) => (r.vipMovedMs === undefined ? [] : [r.vipMovedMs])))} / ${median(sel.flatMap((r) => (r.gapMs === undefined ? [] : [r.gapMs])))}${failure === 'link' ? ` / ${median(sel.flatMap((r) => (r.delayMs === undefined ? [] : [r.delayMs])))}` : ''}\n`);
      }
}

main().catch((err: unknown) => {
  process.stderr.write(`failover benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
