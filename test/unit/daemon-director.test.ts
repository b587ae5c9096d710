import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import type { Model } from '../../src/config/model.js';
import { Director } from '../../src/daemon/director.js';
import { ManualClock, type Probe } from '../../src/health/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import { genlCmd, splitMessages } from '../../src/netlink/message.js';
import { GENL_ID_CTRL } from '../../src/netlink/genl.js';
import { Cmd } from '../../src/ipvs/wire.js';
import type { OverrideFn } from '../../src/reconcile/desired.js';

const conf = (weight2 = 1) => `
virtual_server 192.168.56.131 80 {
    delay_loop 6
    lb_algo wrr
    lb_kind DR
    persistence_timeout 5
    protocol TCP
    real_server 192.168.56.101 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 2
            retry 2
            delay_before_retry 3
        }
    }
    real_server 192.168.56.102 80 {
        weight ${weight2}
        TCP_CHECK {
            connect_port 80
            connect_timeout 2
            retry 2
            delay_before_retry 3
        }
    }
}
`;

function model(text: string): Model {
  const r = parseConfig('/etc/lvsd.conf', memoryFs({ '/etc/lvsd.conf': text }));
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.model;
}

async function world(text = conf(), keepOnExit = false, overrides?: () => OverrideFn | undefined) {
  const kernel = new FakeIpvsKernel();
  const client = await IpvsClient.open(kernel);
  const clock = new ManualClock(0);
  const down = new Set<string>();
  const probe: Probe = async (t) => (down.has(t.connectIp) ? { ok: false, reason: 'ECONNREFUSED', latencyMs: 1 } : { ok: true, latencyMs: 1 });
  const lines: { event?: string; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const director = new Director(model(text), client, log, { resyncMs: 3_600_000, keepOnExit, overrides, health: { clock, probe, random: () => 0, scripts: false } });
  const dests = () => kernel.snapshot()[0]?.dests.map((d) => `${d.address}:${d.weight}`).sort() ?? [];
  return { kernel, client, clock, down, director, lines, dests };
}

/** dumpsSince counts the GET_SERVICE and GET_DEST dumps the fake kernel was sent since datagram `from`. */
function dumpsSince(k: FakeIpvsKernel, from: number): number {
  return k.datagrams.slice(from).flatMap((d) => splitMessages(d).filter((m) => m.type !== GENL_ID_CTRL).map((m) => genlCmd(d, m))).filter((c) => c === Cmd.GET_SERVICE || c === Cmd.GET_DEST).length;
}
const SVC = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 } as const;

describe('director daemon', () => {
  it('starts by putting every real server in the table', async () => {
    const w = await world();
    const report = await w.director.start();
    expect(report.ops.map((o) => o.op)).toEqual(['add-service', 'add-dest', 'add-dest']);
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    await w.director.stop();
  });

  it('removes a real server after retry+1 failed checks and logs why', async () => {
    const w = await world();
    await w.director.start();
    w.down.add('192.168.56.102');
    // first check at warmup 0, then 2 retries spaced by delay_before_retry 3 s
    await w.clock.advance(7_000);
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1']);
    const ev = w.lines.find((l) => l.event === 'real-server-down');
    expect(ev).toMatchObject({ rs: '192.168.56.102:80', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(w.lines.some((l) => l.event === 'applied' && /del-dest/.test(l.msg))).toBe(true);
    w.down.clear();
    await w.clock.advance(6_000);
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    await w.director.stop();
  });

  it('repairs a destination deleted behind its back on the next resync', async () => {
    const w = await world();
    await w.director.start();
    await w.client.apply([{ op: 'del-dest', service: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 }, dest: { family: 'inet', address: '192.168.56.101', port: 80 } }]);
    expect(w.dests()).toEqual(['192.168.56.102:1']);
    w.director.schedule('resync');
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    expect(w.lines.filter((l) => l.event === 'repaired').map((l) => l.msg)).toEqual([expect.stringMatching(/add-dest .*192\.168\.56\.101:80/)]);
    await w.director.stop();
  });

  it('reload with one changed weight writes exactly one edit and keeps a down server down', async () => {
    const w = await world();
    await w.director.start();
    w.down.add('192.168.56.101');
    await w.clock.advance(7_000);
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.102:1']);
    const before = w.kernel.datagrams.length;
    await w.director.reload(model(conf(3)));
    expect(w.dests()).toEqual(['192.168.56.102:3']);
    // every message written after the reload, reads (GET_*) aside: exactly one SET_DEST
    const GETS = new Set([4, 8, 13, 15]);
    const writes = w.kernel.datagrams.slice(before).flatMap((d) => splitMessages(d).map((m) => d.readUInt8(m.payload))).filter((cmd) => !GETS.has(cmd));
    expect(writes).toEqual([6]);
    await w.director.stop();
  });

  it('keeps alpha real servers out of the table until their first successful check', async () => {
    const w = await world(conf().replace('    protocol TCP\n', '    protocol TCP\n    alpha\n'));
    const report = await w.director.start();
    expect(report.ops.map((o) => o.op)).toEqual(['add-service']);
    expect(w.dests()).toEqual([]);
    await w.clock.advance(100);
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    await w.director.stop();
  });

  it('removes the services it added when it stops, unless told to keep them', async () => {
    const w = await world();
    await w.director.start();
    await w.director.stop();
    expect(w.kernel.snapshot()).toEqual([]);
    const kept = await world(conf(), true);
    await kept.director.start();
    await kept.director.stop();
    expect(kept.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
  });

  it('a health pass removes a failed real server without reading the kernel table; a resync still reads it', async () => {
    const w = await world();
    await w.director.start();
    const from = w.kernel.datagrams.length;
    w.down.add('192.168.56.102');
    await w.clock.advance(7_000);
    await w.director.idle();
    expect(w.director.passes.health).toBe(1);
    expect(w.dests()).toEqual(['192.168.56.101:1']);
    expect(dumpsSince(w.kernel, from)).toBe(0);
    const mid = w.kernel.datagrams.length;
    w.director.schedule('resync');
    await w.director.idle();
    // one service dump and one destination dump
    expect(dumpsSince(w.kernel, mid)).toBe(2);
    expect(w.lines.filter((l) => l.event === 'repaired')).toEqual([]);
    await w.director.stop();
  });

  it('an operator disable is applied from the kept table: no dump, the server leaves, enable brings it back', async () => {
    let hold: OverrideFn | undefined;
    const w = await world(conf(), false, () => hold);
    await w.director.start();
    const from = w.kernel.datagrams.length;
    hold = (_vs, rs) => (rs.address === '192.168.56.101' ? 'disable' : undefined);
    w.director.schedule('override');
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.102:1']);
    hold = undefined;
    w.director.schedule('override');
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    expect(dumpsSince(w.kernel, from)).toBe(0);
    expect(w.director.passes.override).toBe(2);
    await w.director.stop();
  });

  it('a kept table gone stale (entries deleted behind its back) is dropped on the refusal: cache-stale, and a resync at once repairs the rest', async () => {
    const w = await world();
    await w.director.start();
    // behind lvsd's back: both real servers leave the kernel
    for (const address of ['192.168.56.101', '192.168.56.102']) await w.client.apply([{ op: 'del-dest', service: SVC, dest: { family: 'inet', address, port: 80 } }]);
    w.down.add('192.168.56.102');
    await w.clock.advance(7_000);
    await w.director.idle();
    const stale = w.lines.find((l) => l.event === 'cache-stale') as { reason?: string; ops?: { op: string; rs: string }[] } | undefined;
    expect(stale).toMatchObject({ reason: 'health', ops: [{ op: 'del-dest', rs: '192.168.56.102:80' }] });
    expect(w.director.passes.resync).toBe(1);
    // the resync read the kernel and put back the healthy one; the failed one stays out
    expect(w.dests()).toEqual(['192.168.56.101:1']);
    expect(w.lines.filter((l) => l.event === 'repaired').map((l) => l.msg)).toEqual([expect.stringMatching(/add-dest .*192\.168\.56\.101:80/)]);
    // and the next health pass works from the kept table again
    const from = w.kernel.datagrams.length;
    w.down.clear();
    await w.clock.advance(6_000);
    await w.director.idle();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    expect(dumpsSince(w.kernel, from)).toBe(0);
    await w.director.stop();
  });
});
