// Unit tests: InstanceRuntime on reload and in split brain — two runtimes back to back through fake ports exchanging real encoded datagrams, real timers; and their status rows.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type VirtualIp, type VrrpInstance } from '../../src/config/index.js';
import { encodeIPv4Header, fromIPv4Datagram, IPV4_HEADER_LENGTH } from '../../src/vrrp/ip.js';
import { InstanceRuntime, type InstancePorts } from '../../src/vrrp/io/instance.js';
import { instanceStatus } from '../../src/vrrp/io/instance-status.js';
import type { SplitBrainEvent } from '../../src/vrrp/split-brain.js';

const F = '/etc/keepalived/keepalived.conf';

function instance(priority: number, vips = ['192.168.56.131/24']): VrrpInstance {
  const text = `vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority ${priority}\n advert_int 0.1\n version 3\n virtual_ipaddress {\n${vips.map((v) => `  ${v}`).join('\n')}\n }\n}\n`;
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!.vrrp.instances[0]!;
}

interface Host {
  rt: InstanceRuntime;
  vips: string[];
  garps: string[];
  states: string[];
  splits: SplitBrainEvent[];
}

const peers: InstanceRuntime[] = [];
function host(source: string, inst: VrrpInstance): Host {
  const h: Host = { vips: [], garps: [], states: [], splits: [], rt: undefined as unknown as InstanceRuntime };
  const ports: InstancePorts = {
    send: async (message, src, dst) => {
      const buf = Buffer.alloc(IPV4_HEADER_LENGTH + message.length);
      encodeIPv4Header({ id: 1, ttl: 255, source: src, destination: dst, payloadLength: message.length }, buf);
      message.copy(buf, IPV4_HEADER_LENGTH);
      setImmediate(() => {
        const f = fromIPv4Datagram(buf);
        if (f.ok) for (const p of peers) if (p.source !== src) p.receive(f.packet);
      });
      return undefined;
    },
    addAddresses: async (vips: readonly VirtualIp[]) => void h.vips.push(...vips.map((v) => v.address)),
    removeAddresses: async (vips: readonly VirtualIp[]) => void (h.vips = h.vips.filter((a) => !vips.some((v) => v.address === a))),
    announce: (vips) => void h.garps.push(...vips.map((v) => v.address)),
    transition: (_from, to) => void h.states.push(to.state),
    warn: () => undefined,
    now: () => performance.now(),
    splitBrain: (e) => void h.splits.push(e),
  };
  h.rt = new InstanceRuntime(inst, source, ports);
  peers.push(h.rt);
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterEach(async () => {
  for (const r of peers.splice(0)) await r.stop();
});

describe('InstanceRuntime.reconfigure', () => {
  it('a Master takes new virtual addresses in place: drops the removed, adds and announces the new, no state change', async () => {
    const a = host('192.168.56.121', instance(100, ['192.168.56.131/24', '192.168.56.133/24']));
    a.rt.start();
    await sleep(500);
    expect(a.rt.state.state).toBe('MASTER');
    expect(a.vips.sort()).toEqual(['192.168.56.131', '192.168.56.133']);
    const states = a.states.length;
    a.garps.length = 0;
    a.rt.reconfigure(instance(90, ['192.168.56.131/24', '192.168.56.134/24']));
    await a.rt.idle();
    expect(a.rt.state).toMatchObject({ state: 'MASTER', basePriority: 90, effectivePriority: 90 });
    expect(a.vips.sort()).toEqual(['192.168.56.131', '192.168.56.134']);
    expect(a.garps).toEqual(['192.168.56.134']);
    expect(a.states.length).toBe(states);
    expect(a.rt.config.priority).toBe(90);
  });

  it('a higher priority reloaded on the Backup makes it preempt the Master', async () => {
    const a = host('192.168.56.121', instance(100));
    const b = host('192.168.56.122', instance(80));
    a.rt.start();
    b.rt.start();
    await sleep(600);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
    b.rt.reconfigure(instance(120));
    await sleep(600);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['BACKUP', 'MASTER']);
    expect(b.splits).toEqual([]);
  });
});

describe('split brain on InstanceRuntime', () => {
  it('two Masters that drop each other (different address lists) both report it once, and clear once the lists agree', async () => {
    const a = host('192.168.56.121', instance(100));
    const b = host('192.168.56.122', instance(80, ['192.168.56.132/24']));
    a.rt.start();
    b.rt.start();
    // each takes Master after its master_down_interval (~0.37 s), then hears the other for 3 intervals (0.3 s)
    await sleep(1300);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'MASTER']);
    expect(a.splits).toMatchObject([{ kind: 'split-brain', peer: { address: '192.168.56.122', priority: 80, accepted: false, reason: 'addr-list' } }]);
    expect(b.splits).toMatchObject([{ kind: 'split-brain', peer: { address: '192.168.56.121', priority: 100, accepted: false, reason: 'addr-list' } }]);
    const row = instanceStatus(a.rt, { mono: performance.now(), wall: Date.now() });
    expect(row).toMatchObject({ splitBrain: true, splitBrainPeer: { address: '192.168.56.122', reason: 'addr-list' } });
    expect(row.splitBrainSince).toBeLessThanOrEqual(Date.now());
    b.rt.reconfigure(instance(80));
    await sleep(1000);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
    expect(a.splits.map((e) => e.kind)).toEqual(['split-brain', 'split-brain-cleared']);
    expect(b.splits.map((e) => e.kind)).toEqual(['split-brain', 'split-brain-cleared']);
  });

  it('the status row of a Backup names the Master heard, its last advert, the intervals and the next deadline', async () => {
    const a = host('192.168.56.121', instance(100));
    const b = host('192.168.56.122', instance(80));
    a.rt.start();
    b.rt.start();
    await sleep(600);
    const wall = Date.now();
    const row = instanceStatus(b.rt, { mono: performance.now(), wall });
    expect(row).toMatchObject({ name: 'VI_1', state: 'BACKUP', vrid: 51, priority: 80, basePriority: 80, effectivePriority: 80, master: '192.168.56.121', masterPriority: 100, splitBrain: false });
    expect(wall - row.lastAdvertAt!).toBeLessThanOrEqual(150);
    expect(row.timers).toMatchObject({ advertIntervalMs: 100, masterAdverIntervalMs: 100, next: { timer: 'master-down' } });
    expect(row.timers!.masterDownIntervalMs).toBeCloseTo(300 + (176 * 100) / 256, 0);
    expect(row.timers!.next!.at - wall).toBeGreaterThan(150);
    expect(instanceStatus(a.rt, { mono: performance.now(), wall }).timers?.next?.timer).toBe('advert');
  });
});
