// Bench/lab support: layout L2's VRRP configurations (for lvsd and keepalived alike), a 10 ms TCP prober run in the client namespace, and the failover figures drawn from its log.

/** L2VrrpOptions describe one director's side of the L2 dual-master pair. */
export interface L2VrrpOptions {
  readonly director: 1 | 2;
  readonly version: 2 | 3;
  /** seconds; VRRPv2 needs whole seconds */
  readonly advertInt: number;
  /** put `nopreempt` on VI_1 (keepalived then needs both sides in state BACKUP) */
  readonly nopreempt?: boolean;
  /** include the two virtual_server blocks (lvsd runs them; keepalived too) */
  readonly virtualServers?: boolean;
  /** `lvs_sync_daemon eth0 VI_1`: the IPVS connection sync daemon follows VI_1 */
  readonly syncDaemon?: boolean;
  /** unicast_src_ip (this director) and unicast_peer (the other) instead of multicast */
  readonly unicast?: boolean;
}

const ADDRESSES = { 1: '192.168.56.121', 2: '192.168.56.122' } as const;

const INSTANCES = [
  { name: 'VI_1', vrid: 51, vip: '192.168.56.131', pass: '1111', master: 1 },
  { name: 'VI_2', vrid: 52, vip: '192.168.56.132', pass: '2222', master: 2 },
] as const;

/** l2VrrpConfig is one director's configuration for layout L2 with one keyword per line (keepalived's parser needs that). */
export function l2VrrpConfig(o: L2VrrpOptions): string {
  const lines: string[] = ['global_defs {', `    router_id LVS${o.director}`, `    vrrp_version ${o.version}`, ...(o.syncDaemon ? ['    lvs_sync_daemon eth0 VI_1'] : []), '}'];
  for (const i of INSTANCES) {
    const master = i.master === o.director;
    const nopreempt = o.nopreempt === true && i.name === 'VI_1';
    lines.push(
      `vrrp_instance ${i.name} {`,
      `    state ${master && !nopreempt ? 'MASTER' : 'BACKUP'}`,
      '    interface eth0',
      `    virtual_router_id ${i.vrid}`,
      `    priority ${master ? 100 : 80}`,
      `    advert_int ${o.advertInt}`,
      ...(nopreempt ? ['    nopreempt'] : []),
      ...(o.unicast ? [`    unicast_src_ip ${ADDRESSES[o.director]}`, '    unicast_peer {', `        ${ADDRESSES[o.director === 1 ? 2 : 1]}`, '    }'] : []),
      ...(o.version === 2 ? ['    authentication {', '        auth_type PASS', `        auth_pass ${i.pass}`, '    }'] : []),
      '    virtual_ipaddress {',
      `        ${i.vip}/24 dev eth0`,
      '    }',
      '}',
    );
  }
  if (o.virtualServers !== false) {
    for (const [vip, algo] of [['192.168.56.131', 'wrr'], ['192.168.56.132', 'rr']] as const) {
      lines.push(`virtual_server ${vip} 80 {`, '    delay_loop 6', `    lb_algo ${algo}`, '    lb_kind DR', '    persistence_timeout 5', '    protocol TCP');
      for (const rs of ['192.168.56.101', '192.168.56.102']) {
        lines.push(`    real_server ${rs} 80 {`, '        weight 1', '        TCP_CHECK {', '            connect_port 80', '            connect_timeout 2', '        }', '    }');
      }
      lines.push('}');
    }
  }
  return `${lines.join('\n')}\n`;
}

/** masterDownMs is Master_Down_Interval for a Backup of `priority` (RFC 3768 / RFC 5798 §6.1). */
export function masterDownMs(version: 2 | 3, priority: number, advertInt: number): number {
  const skew = version === 2 ? (256 - priority) / 256 : ((256 - priority) * advertInt) / 256;
  return (3 * advertInt + skew) * 1000;
}

/**
 * PROBER_JS is a Node script for the client namespace: `node prober.js HOST PORT DURATION_MS EVERY_MS`. It starts a TCP
 * connection every EVERY_MS (each with a 200 ms timeout, so a lost SYN does not wait for the kernel's 1 s retry),
 * prints `probing` once running, and at the end one JSON line: [[startMs, okAtMs or 0], …] in the guest's clock.
 */
export const PROBER_JS = `
const net = require('net');
const [host, port, duration, every] = process.argv.slice(2);
const results = [];
const t0 = Date.now();
function attempt() {
  const start = Date.now();
  let done = false;
  const sock = net.connect({ host, port: Number(port) });
  const finish = (ok) => { if (done) return; done = true; results.push([start, ok ? Date.now() : 0]); sock.destroy(); };
  sock.setTimeout(200, () => finish(false));
  sock.once('connect', () => finish(true));
  sock.once('error', () => finish(false));
}
const timer = setInterval(() => {
  if (Date.now() - t0 > Number(duration)) {
    clearInterval(timer);
    setTimeout(() => console.log(JSON.stringify(results)), 300);
    return;
  }
  attempt();
}, Number(every));
console.log('probing');
`;

/** ProbeFigures are what a probe log says about one failure at guest time `t0` (ms). */
export interface ProbeFigures {
  /** from the failure to the first connection completed after the outage (the end of the longest gap from the last success before `t0` on) */
  readonly recoveryMs: number | undefined;
  /** the longest time between two consecutive completed connections, from the last one before the failure on */
  readonly gapMs: number | undefined;
  readonly attempts: number;
  readonly failed: number;
}

/** probeFigures reads the prober's JSON line and measures the outage around a failure at `t0` (an upper bound when t0 is taken just before the failing command). */
export function probeFigures(stdout: string, t0: number): ProbeFigures {
  const line = stdout.split('\n').find((l) => l.startsWith('['));
  const results = (line ? JSON.parse(line) : []) as [number, number][];
  const oks = results.filter(([, ok]) => ok > 0).map(([, ok]) => ok).sort((a, b) => a - b);
  const before = oks.filter((x) => x < t0);
  const failed = results.filter(([, ok]) => ok === 0).length;
  if (before.length === 0) return { recoveryMs: undefined, gapMs: undefined, attempts: results.length, failed };
  const window = oks.filter((x) => x >= (before.at(-1) as number));
  let gapMs: number | undefined;
  let end: number | undefined;
  for (let i = 1; i < window.length; i++) {
    const gap = (window[i] as number) - (window[i - 1] as number);
    if (gapMs === undefined || gap > gapMs) {
      gapMs = gap;
      end = window[i] as number;
    }
  }
  return { recoveryMs: end === undefined ? undefined : end - t0, gapMs, attempts: results.length, failed };
}

/**
 * advertPhase is how long before the failure (t0, epoch ms) the master's last advertisement went out, from the
 * `tcpdump -tt` lines of its adverts heard during the run; undefined when there are none. Every advert heard was sent
 * before the failure took effect, so one stamped after t0 (sent while the failing command was starting) counts, as
 * a negative phase. A failure lands at a random point of the advertisement interval and the backup's down timer
 * runs from the last advert it heard: the client's gap is master_down_interval − phase + the implementation's own
 * delay, so gap + phase − master_down_interval is that delay.
 */
export function advertPhase(tcpdumpStdout: string, t0: number): number | undefined {
  let last: number | undefined;
  for (const line of tcpdumpStdout.split('\n')) {
    const m = /^(\d+)\.(\d{6}) /.exec(line);
    if (!m) continue;
    const ms = Number(m[1]) * 1000 + Number(m[2]) / 1000;
    if (last === undefined || ms > last) last = ms;
  }
  return last === undefined ? undefined : Math.round(t0 - last);
}
