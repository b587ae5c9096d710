import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';
import { IpvsUnavailableError } from '../../src/ipvs/errors.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { IpvsOp, ServiceKey } from '../../src/ipvs/types.js';
import { splitMessages } from '../../src/netlink/message.js';

const key = (i: number): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'tcp', address: `10.1.${i >> 8}.${i & 255}`, port: 80 });
function table(services: number, dests: number): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (let i = 0; i < services; i++) {
    ops.push({ op: 'add-service', service: { key: key(i), scheduler: 'wrr', onePacket: false, schedFlags: [] } });
    for (let j = 0; j < dests; j++)
      ops.push({ op: 'add-dest', service: key(i), dest: { family: 'inet', address: `10.2.${j}.${(i % 250) + 1}`, port: 80, forward: 'route', weight: j + 1, upperThreshold: 0, lowerThreshold: 0 } });
  }
  return ops;
}

describe('IPVS client', () => {
  it('reports a kernel without IPVS as IpvsUnavailableError with the fix', async () => {
    await expect(IpvsClient.open(new FakeIpvsKernel({ ipvs: false }))).rejects.toThrow(IpvsUnavailableError);
    await expect(IpvsClient.open(new FakeIpvsKernel({ ipvs: false }))).rejects.toThrow(/load ip_vs/);
  });

  it('packs 22,000 writes into datagrams of at most 64 KiB, acking only the last message of each', async () => {
    const k = new FakeIpvsKernel();
    const c = await IpvsClient.open(k);
    const ops = table(2000, 10);
    expect(await c.apply(ops)).toEqual([]);
    const writes = k.datagrams.slice(1);
    expect(writes.every((d) => d.length <= 65536)).toBe(true);
    expect(writes.length).toBeLessThanOrEqual(ops.length / 100);
    for (const d of writes) {
      const msgs = splitMessages(d);
      expect(msgs.filter((m) => m.flags & 4).map((m) => m.seq)).toEqual([msgs[msgs.length - 1]!.seq]);
    }
    expect(c.counters.messagesSent).toBe(ops.length + 1);
    const t = await c.table();
    expect(t.services).toHaveLength(2000);
    expect(t.services.reduce((n, s) => n + s.dests.length, 0)).toBe(20000);
  });

  it('matches each kernel refusal back to the operation that caused it', async () => {
    const c = await IpvsClient.open(new FakeIpvsKernel());
    const ops = table(3, 2);
    await c.apply(ops);
    const again: IpvsOp[] = [
      ops[0]!,
      { op: 'add-service', service: { key: key(9), scheduler: 'nosuch', onePacket: false, schedFlags: [] } },
      { op: 'del-dest', service: key(1), dest: { family: 'inet', address: '10.9.9.9', port: 80 } },
      { op: 'del-service', key: key(7) },
      { op: 'edit-service', service: { key: key(2), scheduler: 'rr', onePacket: false, schedFlags: [] } },
    ];
    const failures = await c.apply(again, { maxDatagram: 300 });
    expect(failures.map((f) => [f.index, f.error.code])).toEqual([[0, 'EEXIST'], [1, 'ENOENT'], [2, 'ENOENT'], [3, 'ESRCH']]);
    expect(failures.map((f) => f.error.message)).toEqual([
      'service TCP 10.1.0.0:80 already exists',
      "scheduler 'nosuch' is not loaded (load ip_vs_nosuch)",
      'destination 10.9.9.9:80 does not exist in service TCP 10.1.0.1:80',
      'service TCP 10.1.0.7:80 does not exist',
    ]);
    expect((await c.services()).find((s) => s.key.kind === 'addr' && s.key.address === '10.1.0.2')?.scheduler).toBe('rr');
  });

  it('stops after the first datagram with a failure when asked to', async () => {
    const k = new FakeIpvsKernel();
    const c = await IpvsClient.open(k);
    const ops = table(50, 1);
    const bad: IpvsOp = { op: 'del-service', key: key(999) };
    const failures = await c.apply([bad, ...ops], { maxDatagram: 1024, stopOnError: true });
    expect(failures).toHaveLength(1);
    expect(k.snapshot().length).toBeLessThan(50);
  });

  it('reads info and timeouts, and sets timeouts', async () => {
    const c = await IpvsClient.open(new FakeIpvsKernel());
    expect(await c.info()).toEqual({ version: 0x010201, connTableSize: 4096 });
    await c.apply([{ op: 'set-timeouts', timeouts: { tcp: 7200, tcpFin: 0, udp: 60 } }]);
    expect(await c.timeouts()).toEqual({ tcp: 7200, tcpFin: 120, udp: 60 });
  });
});
