// Lab test: `lvsd run` with 2,000 virtual services × 10 real servers on the guest kernel — a real server that fails its
// TCP_CHECK leaves the table (and comes back) without the pass re-reading the whole IPVS table first.
// LVSD_SCALE_BIN=<checkout>/bin/lvsd runs another build (e.g. an older commit) for comparison; figures go to .lab/director-scale.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';

const BIN = process.env.LVSD_SCALE_BIN ?? `${findCheckout()}/bin/lvsd`;
const LVSD = `node ${BIN}`;
const SERVICES = 2000;
const REAL_SERVERS = 10;
const NGINX = '192.168.56.101';
/** the virtual services whose first real server is checked (TCP_CHECK against the nginx on rs1); the others have no check */
const CHECKED = [0, 999, 1999];
const CYCLES = 3;
// generous: measured against what reading the whole table takes in the same lab (`lvsd list`, 2,001 dumps, node's
// start included), which a pass that re-reads the table pays in full: the median time to act on a health change must
// stay under half of it, and every one under all of it. On a loaded 2-CPU machine passes that re-read the table took
// medians of 0.9-2x that read (single ones 0.64-2.7x), passes from the kept table medians of 0.1-0.3x (single ones up
// to 0.54x: the first pass after start is the slowest)
const MEDIAN_OF_FULL_READ = 0.5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const vip = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const rsAddr = (j: number) => `10.2.0.${j + 1}`;

/** config is 2,000 virtual services × 10 DR real servers; the first real server of the CHECKED services checks nginx on rs1. */
function config(): string {
  const out: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    out.push(`virtual_server ${vip(i)} 80 {`, '    delay_loop 1', '    lb_algo wrr', '    lb_kind DR', '    protocol TCP');
    for (let j = 0; j < REAL_SERVERS; j++) {
      out.push(`    real_server ${rsAddr(j)} 80 {`, '        weight 1');
      if (j === 0 && CHECKED.includes(i)) out.push('        TCP_CHECK {', `            connect_ip ${NGINX}`, '            connect_port 80', '            connect_timeout 1', '            retry 1', '            delay_before_retry 1', '        }');
      out.push('    }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

type Line = { event?: string; time?: string; op?: string; vs?: string; service?: string; rs?: string };

function lines(p: LabProcess): Line[] {
  return p
    .output()
    .stdout.split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** latencies pairs each `state` event after line `from` with the `op` that applied it and returns the seconds between their log times. */
function latencies(all: Line[], from: number, state: 'real-server-down' | 'real-server-up', op: 'del-dest' | 'add-dest'): number[] {
  const out: number[] = [];
  const tail = all.slice(from);
  for (const [k, e] of tail.entries()) {
    if (e.event !== state) continue;
    const applied = tail.slice(k + 1).find((l) => l.event === 'applied' && l.op === op && l.service === e.vs?.replace(/^\[(.*)\]:tcp:(\d+)$/, 'TCP $1:$2') && l.rs === e.rs);
    if (applied) out.push((Date.parse(applied.time!) - Date.parse(e.time!)) / 1000);
  }
  return out;
}

describe('lvsd run with 2,000 virtual services × 10 real servers on the guest kernel', () => {
  let lab: Lab;
  let lvsd: LabProcess;
  const figures: Record<string, unknown> = { bin: BIN };

  beforeAll(async () => {
    lab = await startLab({
      hosts: [
        { name: 'lvs1', role: 'director', addresses: ['192.168.56.121/24'] },
        { name: 'rs1', role: 'realserver', addresses: [`${NGINX}/24`], nginx: { body: 'rs1\n' } },
      ],
    });
    const conf = await lab.writeFile('scale.conf', config());
    const t0 = Date.now();
    lvsd = lab.spawn('lvs1', `exec ${LVSD} run -f ${conf} --resync-interval 3600 --metrics-address off`);
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 240_000 });
    figures.startS = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const n = await lab.exec('lvs1', `${LVSD} list -n | wc -l`, { timeoutMs: 120_000, check: true });
    figures.fullReadS = (Date.now() - t1) / 1000;
    expect(Number(n.stdout.trim())).toBe(3 + SERVICES * (1 + REAL_SERVERS));
  }, 400_000);

  afterAll(async () => {
    await lvsd?.stop({ signal: 'TERM', graceMs: 60_000 }).catch(() => undefined);
    await lab?.stop();
    mkdirSync(join(findCheckout(), '.lab'), { recursive: true });
    writeFileSync(join(findCheckout(), '.lab', 'director-scale.json'), JSON.stringify(figures, null, 2));
    process.stdout.write(`\ndirector scale figures: ${JSON.stringify(figures)}\n`);
  });

  it('a failed real server leaves the table, and a recovered one returns, in well under the time of a full table read', async () => {
    const checkedGone = CHECKED.map((i) => `! ipvsadm -L -n -t ${vip(i)}:80 | grep -q ' ${rsAddr(0)}:80 '`).join(' && ');
    const checkedBack = CHECKED.map((i) => `ipvsadm -L -n -t ${vip(i)}:80 | grep -q ' ${rsAddr(0)}:80 '`).join(' && ');
    const down: number[] = [];
    const up: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      let from = lines(lvsd).length;
      await lab.stopNginx('rs1');
      await lab.waitFor('lvs1', checkedGone, { timeoutMs: 120_000, intervalMs: 200 });
      // the kernel has no more of them: every down event has its applied del-dest logged by now
      down.push(...latencies(lines(lvsd), from, 'real-server-down', 'del-dest'));
      from = lines(lvsd).length;
      await lab.startNginx('rs1');
      await lab.waitFor('lvs1', checkedBack, { timeoutMs: 120_000, intervalMs: 200 });
      up.push(...latencies(lines(lvsd), from, 'real-server-up', 'add-dest'));
    }
    Object.assign(figures, { downS: down, upS: up });
    expect(down).toHaveLength(CYCLES * CHECKED.length);
    expect(up).toHaveLength(CYCLES * CHECKED.length);
    // only the checked real servers left, nothing else
    const t = await lab.exec('lvs1', `ipvsadm -L -n -t ${vip(1)}:80 | grep -c ' Route '`, { check: true });
    expect(Number(t.stdout.trim())).toBe(REAL_SERVERS);
    const full = figures.fullReadS as number;
    expect(median(down)).toBeLessThan(MEDIAN_OF_FULL_READ * full);
    expect(median(up)).toBeLessThan(MEDIAN_OF_FULL_READ * full);
    expect(Math.max(...down, ...up)).toBeLessThan(full);
    expect(lvsd.output().stdout).not.toMatch(/"event":"(apply-failed|cache-stale|reconcile-failed)"/);
  }, 600_000);
});
