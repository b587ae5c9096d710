// Lab test: lvs_sync_daemon with `lvsd run` on both L2 directors — one long-lived TCP connection through VIP .131,
// a request every 100 ms, survives lvs1 losing its link because IPVS synced the connection to lvs2; the control run
// without lvs_sync_daemon shows the same failover resets the connection (lvs2 has no entry for it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, L2_VIPS, l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { l2VrrpConfig } from '../../bench/failover-lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const [VIP1] = L2_VIPS;
const PORT = 7000;
const CLIENT = '192.168.56.10';
const RS = { rs1: '192.168.56.101', rs2: '192.168.56.102' } as const;
/** perHost gives each director its own control socket and state file: /run and /var are shared by the namespaces */
const perHost = (d: number) => `--control-socket /run/lvsd-lvs${d}.sock --state-file /run/lvsd-lvs${d}-overrides.json`;
const has = (vip: string) => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;

/** SERVER_JS answers each line "N" with "N HOST" on the same connection, for as long as the client keeps it. */
const SERVER_JS = `
const net = require('net');
const host = process.argv[2];
net.createServer((s) => {
  let buf = '';
  s.on('error', () => {});
  s.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      s.write(line + ' ' + host + '\\n');
    }
  });
}).listen(${PORT}, () => console.log('listening'));
`;

/**
 * CLIENT_JS holds one connection to HOST:PORT and sends "N" every EVERY ms (after the previous reply), checking each
 * reply is "N <same server>". It ends on the first error, close, wrong reply or a reply later than 20 s (exit 1) or on
 * SIGTERM (exit 0), printing one JSON line: ok, why, localPort, server, and [seq, sentAt, repliedAt] per reply.
 */
const CLIENT_JS = `
const net = require('net');
const [host, port, every] = process.argv.slice(2);
const s = net.connect({ host, port: Number(port) });
s.setNoDelay(true);
let seq = 0, pending, buf = '', server, done = false;
const replies = [];
function finish(ok, why) {
  if (done) return;
  done = true;
  console.log(JSON.stringify({ ok, why, localPort: s.localPort, server, requests: seq, replies }));
  s.destroy();
  process.exit(ok ? 0 : 1);
}
function send() {
  if (done) return;
  seq++;
  pending = { seq, at: Date.now() };
  s.write(seq + '\\n');
}
s.on('connect', () => { console.log('connected ' + s.localPort); send(); });
s.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const [n, who] = buf.slice(0, i).split(' ');
    buf = buf.slice(i + 1);
    if (!pending || Number(n) !== pending.seq) return finish(false, 'unexpected reply ' + n);
    if (server === undefined) { server = who; console.log('server ' + who); }
    else if (who !== server) return finish(false, 'reply from ' + who + ' instead of ' + server);
    replies.push([pending.seq, pending.at, Date.now()]);
    const wait = Math.max(0, pending.at + Number(every) - Date.now());
    pending = undefined;
    setTimeout(send, wait);
  }
});
s.on('error', (e) => finish(false, 'error ' + e.code));
s.on('close', () => finish(false, 'closed'));
setInterval(() => { if (pending && Date.now() - pending.at > 20000) finish(false, 'no reply in 20 s'); }, 100);
process.on('SIGTERM', () => finish(true, 'stopped'));
`;

interface ClientResult {
  readonly ok: boolean;
  readonly why: string;
  readonly localPort: number;
  readonly server: string;
  readonly requests: number;
  readonly replies: [number, number, number][];
}

function config(director: 1 | 2, syncDaemon: boolean): string {
  const rs = (addr: string) => [`    real_server ${addr} ${PORT} {`, '        weight 1', '        TCP_CHECK {', `            connect_port ${PORT}`, '            connect_timeout 2', '        }', '    }'];
  return (
    l2VrrpConfig({ director, version: 2, advertInt: 1, syncDaemon, virtualServers: false }) +
    [`virtual_server ${VIP1} ${PORT} {`, '    delay_loop 6', '    lb_algo wrr', '    lb_kind DR', '    persistence_timeout 5', '    protocol TCP', ...rs(RS.rs1), ...rs(RS.rs2), '}', ''].join('\n')
  );
}

describe('lvs_sync_daemon: an established connection survives a VRRP failover', () => {
  let lab: Lab;
  let clientJs: string;

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    const serverJs = await lab.writeFile('sync-server.cjs', SERVER_JS);
    clientJs = await lab.writeFile('sync-client.cjs', CLIENT_JS);
    for (const rs of ['rs1', 'rs2'] as const) {
      await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
      await lab.spawn(rs, `exec node ${serverJs} ${rs}`).waitForOutput(/listening/, { timeoutMs: 20_000 });
    }
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  /** run starts both directors, opens the connection, fails lvs1's link once the connection is (or is not) on lvs2, and returns what the client saw. */
  async function run(syncDaemon: boolean): Promise<{ result: ClientResult; syncedBefore: string; failAt: number; movedAt: number; lvs2After: string }> {
    const daemons: LabProcess[] = [];
    for (const d of [1, 2] as const) {
      const conf = await lab.writeFile(`sync-${syncDaemon ? 'on' : 'off'}-lvs${d}.conf`, config(d, syncDaemon));
      daemons.push(lab.spawn(`lvs${d}`, `exec ${LVSD} run -f ${conf} ${perHost(d)}`));
    }
    try {
      for (const p of daemons) await p.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
      await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 15_000 });
      await lab.waitFor('lvs1', `ipvsadm -Ln -t ${VIP1}:${PORT} | grep -c Route | grep -qx 2`, { timeoutMs: 15_000 });
      if (syncDaemon) await lab.waitFor('lvs2', 'ipvsadm -L --daemon | grep -q "backup sync daemon"', { timeoutMs: 10_000 });
      const client = lab.spawn('client', `exec node ${clientJs} ${VIP1} ${PORT} 100`);
      const localPort = Number((await client.waitForOutput(/connected (\d+)/, { timeoutMs: 20_000 }))[1]);
      const server = (await client.waitForOutput(/server (rs[12])/, { timeoutMs: 10_000 }))[1] as 'rs1' | 'rs2';
      const entry = `${CLIENT}:${localPort} +${VIP1}:${PORT} +${RS[server]}:${PORT}`;
      // the master syncs an entry at its 3rd packet and flushes its buffer within 2 s; wait for it (or, without the
      // daemon, as long as it would have taken) before failing lvs1
      let syncedBefore = '';
      if (syncDaemon) syncedBefore = (await lab.waitFor('lvs2', `ipvsadm -Lnc | grep -E '${entry}'`, { timeoutMs: 15_000 })).stdout;
      else {
        await new Promise((r) => setTimeout(r, 4000));
        syncedBefore = (await lab.exec('lvs2', `ipvsadm -Lnc | grep -E '${entry}'`)).stdout;
        expect((await lab.exec('lvs1', `ipvsadm -Lnc | grep -E '${entry}'`)).stdout).toMatch(/ESTABLISHED/);
      }
      await new Promise((r) => setTimeout(r, 1000));
      const failAt = Number((await lab.exec('lvs1', 'date +%s%3N; ip link set eth0 down', { check: true })).stdout.trim());
      await lab.waitFor('lvs2', has(VIP1), { timeoutMs: 15_000, intervalMs: 100 });
      const movedAt = Number((await lab.exec('lvs2', 'date +%s%3N')).stdout.trim());
      // long enough for TCP's retransmission (RTO doubling from 200 ms over a ~4 s outage) and 5 s of traffic after
      await new Promise((r) => setTimeout(r, 12_000));
      const lvs2After = (await lab.exec('lvs2', `ipvsadm -Lnc | grep -E '${CLIENT}:${localPort} '`)).stdout;
      const out = client.running ? await client.stop({ graceMs: 5000 }) : await client.wait(1000);
      const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`client printed no result: ${out.stdout} ${out.stderr}`);
      return { result: JSON.parse(line) as ClientResult, syncedBefore, failAt, movedAt, lvs2After };
    } finally {
      for (const p of daemons) await p.stop({ graceMs: 10_000 });
      await lab.exec('lvs1', 'ip link set eth0 up', { check: true });
    }
  }

  it('with lvs_sync_daemon: lvs2 holds the entry before the failover and every request on the connection is answered before, during and after', async () => {
    const { result, syncedBefore, failAt, movedAt, lvs2After } = await run(true);
    const longest = Math.max(...result.replies.map(([, sent, got]) => got - sent));
    const before = result.replies.filter(([, , got]) => got < failAt).length;
    const after = result.replies.filter(([, sent]) => sent > movedAt).length;
    console.log(`sync on: ${result.requests} requests, ${result.replies.length} replies (${before} before the failure, ${after} sent after the VIP moved), longest reply ${longest} ms, VIP moved ${movedAt - failAt} ms after the link went down; ${result.why}`);
    expect(syncedBefore).toMatch(/^TCP\s+\S+\s+ESTABLISHED\s/m);
    expect(result.ok).toBe(true);
    expect(result.why).toBe('stopped');
    // every request but the one in flight at SIGTERM was answered, by the same real server
    expect(result.replies.length).toBeGreaterThanOrEqual(result.requests - 1);
    expect(before).toBeGreaterThanOrEqual(20);
    expect(after).toBeGreaterThanOrEqual(20);
    // the request in flight when the link went down waited out the outage (TCP retransmitted it to the new
    // master): the failover happened under this connection, not before or after it
    const slowest = result.replies.find(([, sent, got]) => got - sent === longest)!;
    expect(longest).toBeGreaterThanOrEqual(1000);
    expect(slowest[1]).toBeGreaterThanOrEqual(failAt - 1000);
    expect(slowest[1]).toBeLessThanOrEqual(failAt + 2000);
    // the new master forwards the connection with the synced entry: same real server, still established
    expect(lvs2After).toMatch(new RegExp(`ESTABLISHED\\s+${CLIENT}:${result.localPort}\\s+${VIP1}:${PORT}\\s+${RS[result.server as 'rs1' | 'rs2']}:${PORT}`));
  }, 180_000);

  it('control without lvs_sync_daemon: lvs2 has no entry, and the same failover resets the connection', async () => {
    const { result, syncedBefore, failAt, lvs2After } = await run(false);
    console.log(`sync off: ${result.requests} requests, ${result.replies.length} replies, ended: ${result.why}`);
    expect(syncedBefore).toBe('');
    expect(result.ok).toBe(false);
    // lvs2's IPVS does not schedule a mid-connection segment (no SYN) and has no entry, so the segment reaches
    // lvs2's own TCP stack, which now holds the VIP but no socket on the port: it answers with a reset
    expect(result.why).toBe('error ECONNRESET');
    expect(result.replies.filter(([, , got]) => got < failAt).length).toBeGreaterThanOrEqual(20);
    expect(lvs2After).toBe('');
  }, 180_000);
});
