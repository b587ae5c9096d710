// Unit tests: SyncGroupRuntime — members held in Backup together (keepalived prefers Backup) and taken to Master together, with real timers and encoded adverts.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type VrrpInstance } from '../../src/config/index.js';
import { encodeIPv4Header, fromIPv4Datagram, IPV4_HEADER_LENGTH } from '../../src/vrrp/ip.js';
import { InstanceRuntime, type InstancePorts } from '../../src/vrrp/io/instance.js';
import { SyncGroupRuntime } from '../../src/vrrp/io/sync-group.js';

const F = '/etc/keepalived/keepalived.conf';

function config(priorities: Record<string, number>) {
  const blocks = Object.entries(priorities).map(
    ([name, prio]) => `vrrp_instance ${name} {\n state BACKUP\n interface eth0\n virtual_router_id ${name === 'VI_1' ? 51 : 52}\n priority ${prio}\n advert_int 0.1\n version 3\n virtual_ipaddress {\n  10.0.0.${name === 'VI_1' ? 1 : 2}/24\n }\n}\n`,
  );
  const group = 'VI_1' in priorities && 'VI_2' in priorities ? 'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n}\n' : '';
  const r = parseConfig(F, memoryFs({ [F]: group + blocks.join('') }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!.vrrp;
}

const peers: InstanceRuntime[] = [];
const down = new Set<string>();

function runtime(inst: VrrpInstance, source: string, groupStates: string[] = []): InstanceRuntime {
  const ports: InstancePorts = {
    send: async (message, src, dst) => {
      if (down.has(src)) return new Error('down');
      const buf = Buffer.alloc(IPV4_HEADER_LENGTH + message.length);
      encodeIPv4Header({ id: 1, source: src, destination: dst, payloadLength: message.length }, buf);
      message.copy(buf, IPV4_HEADER_LENGTH);
      setImmediate(() => {
        const f = fromIPv4Datagram(buf);
        if (f.ok) for (const p of peers) if (p.source !== src && p.config.virtualRouterId === message[1]) p.receive(f.packet);
      });
      return undefined;
    },
    addAddresses: async () => undefined,
    removeAddresses: async () => undefined,
    announce: () => undefined,
    transition: (_f, to) => void groupStates.push(`${inst.name}:${to.state}`),
    warn: () => undefined,
    now: () => performance.now(),
  };
  const r = new InstanceRuntime(inst, source, ports);
  peers.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterEach(async () => {
  for (const p of peers.splice(0)) await p.stop();
  down.clear();
});

describe('SyncGroupRuntime', () => {
  it('holds a member in Backup while another member hears a higher-priority master, then takes both to Master together', async () => {
    const a = config({ VI_1: 100, VI_2: 100 });
    const b = config({ VI_2: 150 });
    const a1 = runtime(a.instances[0]!, '192.168.56.121');
    const a2 = runtime(a.instances[1]!, '192.168.56.121');
    const groupStates: string[] = [];
    const g = new SyncGroupRuntime(a.syncGroups[0]!, [a1, a2], (s) => groupStates.push(s));
    const b2 = runtime(b.instances[0]!, '192.168.56.122');
    b2.start();
    g.start(performance.now());
    await sleep(800);
    expect(b2.state.state).toBe('MASTER');
    // alone, VI_1 (no competitor) would be Master by now; in the group it waits for VI_2
    expect([a1.state.state, a2.state.state]).toEqual(['BACKUP', 'BACKUP']);
    expect(a1.state.wantMaster).toBe(true);
    down.add('192.168.56.122');
    await sleep(700);
    expect([a1.state.state, a2.state.state]).toEqual(['MASTER', 'MASTER']);
    expect(groupStates).toContain('MASTER');
  });
});
