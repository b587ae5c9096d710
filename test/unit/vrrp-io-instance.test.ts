// Unit tests: InstanceRuntime — two instances wired back to back through fake ports exchanging real encoded datagrams, with real timers.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type VirtualIp, type VrrpInstance } from '../../src/config/index.js';
import { encodeIPv4Header, fromIPv4Datagram, IPV4_HEADER_LENGTH } from '../../src/vrrp/ip.js';
import { InstanceRuntime, type InstancePorts } from '../../src/vrrp/io/instance.js';
import { garpFrame, naFrame } from '../../src/vrrp/io/garp.js';
import { checksumValid } from '../../src/vrrp/packet.js';
import { StallClock } from '../../src/vrrp/io/stall-clock.js';
import { internetChecksum, pseudoHeaderSum, IPPROTO_VRRP } from '../../src/vrrp/checksum.js';

const F = '/etc/keepalived/keepalived.conf';

function instance(priority: number, extra = ''): VrrpInstance {
  const text = `vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority ${priority}\n advert_int 0.1\n version 3\n${extra}\n virtual_ipaddress {\n  192.168.56.131/24\n }\n}\n`;
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!.vrrp.instances[0]!;
}

/** Wire carries datagrams between runtimes as a LAN would: IPv4 framing with TTL 255, delivered on the next tick. */
class Wire {
  readonly peers: InstanceRuntime[] = [];
  down = new Set<string>();
  /** sources whose datagrams wait in a socket queue (read by the poll, after timers, or by drainReceived) */
  readonly queued = new Map<string, Buffer[]>();
  /** called once a datagram was queued (a test stalls the event loop there) */
  onQueued?: () => void;
  datagram(message: Buffer, source: string, destination: string, ttl = 255): Buffer {
    const buf = Buffer.alloc(IPV4_HEADER_LENGTH + message.length);
    encodeIPv4Header({ id: 1, ttl, source, destination, payloadLength: message.length }, buf);
    message.copy(buf, IPV4_HEADER_LENGTH);
    return buf;
  }
  deliver(buf: Buffer, except?: string): void {
    const f = fromIPv4Datagram(buf);
    if (!f.ok) throw new Error(f.detail);
    for (const p of this.peers) {
      if (p.source === except || this.down.has(p.source)) continue;
      const q = this.queued.get(p.source);
      if (!q) p.receive(f.packet);
      else {
        q.push(buf);
        // the poll phase comes after the timers phase of the next loop turn: setImmediate runs in the check phase
        setImmediate(() => this.read(p));
        this.onQueued?.();
      }
    }
  }
  /** read hands a runtime what its socket queue holds */
  read(p: InstanceRuntime): void {
    const q = this.queued.get(p.source) ?? [];
    for (const buf of q.splice(0)) {
      const f = fromIPv4Datagram(buf);
      if (f.ok) p.receive(f.packet);
    }
  }
}

interface Host {
  rt: InstanceRuntime;
  vips: VirtualIp[];
  garps: number;
  states: string[];
  warnings: string[];
}

function host(wire: Wire, source: string, inst: VrrpInstance, drains = true, stalls?: StallClock): Host {
  const h: Host = { vips: [], garps: 0, states: [], warnings: [], rt: undefined as unknown as InstanceRuntime };
  const ports: InstancePorts = {
    send: async (message, src, dst) => {
      if (wire.down.has(src)) return new Error('ENETDOWN');
      setImmediate(() => wire.deliver(wire.datagram(message, src, dst), src));
      return undefined;
    },
    addAddresses: async (vips) => void h.vips.push(...vips),
    removeAddresses: async (vips) => void (h.vips = h.vips.filter((v) => !vips.includes(v))),
    announce: () => void h.garps++,
    transition: (_from, to) => void h.states.push(to.state),
    warn: (m) => void h.warnings.push(m),
    now: () => performance.now(),
    drainReceived: drains ? () => wire.read(h.rt) : undefined,
    stalls,
  };
  h.rt = new InstanceRuntime(inst, source, ports);
  wire.peers.push(h.rt);
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: InstanceRuntime[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

describe('InstanceRuntime', () => {
  it('elects the higher priority, and the backup takes over within master_down_interval when the master goes silent', async () => {
    const wire = new Wire();
    const a = host(wire, '192.168.56.121', instance(100));
    const b = host(wire, '192.168.56.122', instance(80));
    running.push(a.rt, b.rt);
    a.rt.start();
    b.rt.start();
    await sleep(800);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
    expect(a.vips.map((v) => v.address)).toEqual(['192.168.56.131']);
    expect(b.vips).toEqual([]);
    expect(a.garps).toBeGreaterThan(0);
    const down = b.rt.masterDownMs;
    wire.down.add('192.168.56.121');
    const t0 = performance.now();
    while (b.rt.state.state !== 'MASTER' && performance.now() - t0 < 2000) await sleep(5);
    const took = performance.now() - t0;
    expect(b.rt.state.state).toBe('MASTER');
    expect(took).toBeLessThan(down + 50);
    expect(took).toBeGreaterThan(down - 110); // it had heard the master up to one interval before the cut
    // link back: the higher priority preempts and the backup gives the address up
    wire.down.delete('192.168.56.121');
    await sleep(400);
    expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
    expect(b.vips).toEqual([]);
  });

  it('hands over at once on a priority-0 advert when the master stops, and the stopped one removes its addresses', async () => {
    const wire = new Wire();
    const a = host(wire, '192.168.56.121', instance(100));
    const b = host(wire, '192.168.56.122', instance(80));
    running.push(b.rt);
    a.rt.start();
    b.rt.start();
    await sleep(600);
    expect(a.rt.state.state).toBe('MASTER');
    const t0 = performance.now();
    await a.rt.stop();
    expect(a.vips).toEqual([]);
    while (b.rt.state.state !== 'MASTER' && performance.now() - t0 < 2000) await sleep(2);
    // Skew_Time for priority 80 at 100 ms is 68.75 ms
    expect(performance.now() - t0).toBeLessThan(150);
    expect(a.states.at(-1)).toBe('INIT');
  });

  for (const drains of [true, false]) {
    it(drains ? 'a backup stalled past master_down_interval with an advert in its socket reads it before its timer acts, and stays backup' : 'without reading the socket first, the stale timer of a stalled backup takes over (the hazard drainReceived removes)', async () => {
      const wire = new Wire();
      const a = host(wire, '192.168.56.121', instance(100));
      const b = host(wire, '192.168.56.122', instance(80), drains);
      running.push(a.rt, b.rt);
      a.rt.start();
      b.rt.start();
      await sleep(800);
      expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
      // the next advert reaches b's socket, then the whole process stalls for twice master_down_interval (~0.37 s)
      wire.queued.set(b.rt.source, []);
      let stalled = false;
      wire.onQueued = () => {
        if (stalled) return;
        stalled = true;
        const until = performance.now() + 2 * b.rt.masterDownMs;
        while (performance.now() < until);
      };
      await sleep(600);
      expect(stalled).toBe(true);
      expect(b.states.includes('MASTER')).toBe(!drains);
      expect(a.rt.state.state).toBe('MASTER');
    });
  }

  for (const metered of [true, false]) {
    it(metered ? 'a backup frozen together with its master listens for the time it stood still, hears the master again and stays backup' : 'without a stall meter, a backup frozen together with its master takes over on waking (the flap the meter removes)', async () => {
      const wire = new Wire();
      const clock = new StallClock(() => performance.now());
      clock.start();
      const a = host(wire, '192.168.56.121', instance(100));
      const b = host(wire, '192.168.56.122', instance(80), true, metered ? clock : undefined);
      running.push(a.rt, b.rt);
      a.rt.start();
      b.rt.start();
      await sleep(800);
      expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
      // the whole process (both directors) stands still for 1 s, well past master_down_interval (~0.37 s)
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          const until = performance.now() + 1000;
          while (performance.now() < until);
          resolve();
        }, 0),
      );
      await sleep(600);
      clock.stop();
      expect(b.states.includes('MASTER')).toBe(!metered);
      expect(b.warnings.some((w) => /stood still \d+ ms while waiting for the Master/.test(w))).toBe(metered);
      expect([a.rt.state.state, b.rt.state.state]).toEqual(['MASTER', 'BACKUP']);
    });
  }

  it('drops and counts malformed, hostile or foreign packets without a state change or an exception', async () => {
    const wire = new Wire();
    const b = host(wire, '192.168.56.122', instance(80));
    running.push(b.rt);
    b.rt.start();
    // a real advert from a Master, captured at its send port, to replay and mutate
    let good: Buffer | undefined;
    const a = host(new Wire(), '192.168.56.121', instance(100));
    (a.rt as unknown as { ports: InstancePorts }).ports.send = async (m) => void (good = m);
    a.rt.start();
    a.rt.dispatch({ kind: 'master-down-timer-expired' }, performance.now() + 10_000);
    expect(good).toBeDefined();
    const g = good!;
    const deliver = (msg: Buffer, ttl = 255) => wire.deliver(wire.datagram(msg, '192.168.56.121', '224.0.0.18', ttl));
    deliver(g, 254); // TTL
    const badSum = Buffer.from(g);
    badSum.writeUInt8(badSum.readUInt8(6) ^ 0xff, 6);
    deliver(badSum);
    deliver(g.subarray(0, 9)); // truncated
    const v2 = Buffer.from(g);
    v2[0] = 0x21;
    deliver(v2);
    for (let i = 0; i < 200; i++) deliver(Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 7) & 0xff)));
    const d = b.rt.counters.dropped;
    expect(d.ttl).toBe(1);
    expect(d.checksum).toBe(1);
    expect(d.truncated).toBeGreaterThanOrEqual(1);
    expect(d.version).toBeGreaterThanOrEqual(1);
    expect(b.rt.counters.received).toBe(0);
    expect(b.rt.state.state).toBe('BACKUP');
    deliver(g);
    expect(b.rt.counters.received).toBe(1);
    expect(b.rt.state.master?.address).toBe('192.168.56.121');
    await a.rt.stop();
  });
});

describe('InstanceRuntime unicast', () => {
  it('sends one advert to each unicast_peer from unicast_src_ip, each with the VRRPv3 checksum of its own pseudo-header', async () => {
    const inst = instance(100, ' unicast_src_ip 192.168.56.121\n unicast_peer {\n  192.168.56.122\n  192.168.56.123\n }');
    const sent: [Buffer, string, string][] = [];
    const wire = new Wire();
    const h = host(wire, '192.168.56.121', inst);
    (h.rt as unknown as { ports: InstancePorts }).ports.send = async (m, src, dst) => void sent.push([m, src, dst]);
    running.push(h.rt);
    h.rt.start();
    h.rt.dispatch({ kind: 'master-down-timer-expired' }, performance.now() + 10_000);
    expect(h.rt.state.state).toBe('MASTER');
    expect(sent.map(([, src, dst]) => `${src}>${dst}`)).toEqual(['192.168.56.121>192.168.56.122', '192.168.56.121>192.168.56.123']);
    for (const [m, source, destination] of sent) expect(checksumValid(m, 0, m.length, 3, 'inet', { source, destination })).toBe(true);
    expect(sent[0]![0].equals(sent[1]![0])).toBe(false);
  });
});

describe('link-layer announcements', () => {
  it('garpFrame is an ARP request whose sender and target are the address', () => {
    const mac = Buffer.from('020000000001', 'hex');
    const f = garpFrame(mac, '192.168.56.131');
    expect(f.toString('hex')).toBe('0001080006040001' + '020000000001' + 'c0a83883' + 'ffffffffffff' + 'c0a83883');
  });

  it('naFrame carries a valid ICMPv6 checksum, hop limit 255, Override and the MAC', () => {
    const mac = Buffer.from('020000000001', 'hex');
    const f = naFrame(mac, '2001:db8::131');
    expect(f[7]).toBe(255);
    expect(f[40]).toBe(136);
    expect(f[44]).toBe(0x20);
    expect(f.subarray(66, 72).equals(mac)).toBe(true);
    const initial = (pseudoHeaderSum('inet6', { source: '2001:db8::131', destination: 'ff02::1' }, 32) ?? 0) - IPPROTO_VRRP + 58;
    expect(internetChecksum(f, 40, 72, initial)).toBe(0);
  });
});
