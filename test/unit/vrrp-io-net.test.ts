// Unit tests: virtual_ipaddress lines as rtnetlink addresses (dev index, prefix, label, scope), and HostNet's address changes (only when needed, one request at a time).
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { HostNet, vipSpec } from '../../src/vrrp/io/net.js';
import type { RtAddress, RtAddressSpec } from '../../src/netlink/rtnl.js';

/** FakeRtnl holds addresses like the kernel, logs each request, and notes when two were in flight at once. */
class FakeRtnl {
  readonly addrs: RtAddress[] = [];
  readonly calls: string[] = [];
  inFlight = 0;
  overlapped = false;
  private async op<T>(name: string, f: () => T): Promise<T> {
    this.calls.push(name);
    if (++this.inFlight > 1) this.overlapped = true;
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    return f();
  }
  links() { return this.op('links', () => []); }
  addresses() { return this.op('dump', () => [...this.addrs]); }
  private find(a: RtAddressSpec) { return this.addrs.findIndex((x) => x.index === a.index && Buffer.from(a.bytes).equals(x.bytes)); }
  // refuses as the kernel does: EEXIST for an address that is there, EADDRNOTAVAIL for one that is not
  addAddress(a: RtAddressSpec) { return this.op('add', () => { if (this.find(a) >= 0) throw Object.assign(new Error('File exists'), { errno: 17 }); this.addrs.push({ family: a.family === 'inet' ? 2 : 10, prefix: a.prefix, flags: 0, scope: 0, index: a.index, bytes: Buffer.from(a.bytes) }); }); }
  delAddress(a: RtAddressSpec) { return this.op('del', () => { const i = this.find(a); if (i < 0) throw Object.assign(new Error('Cannot assign requested address'), { errno: 99 }); this.addrs.splice(i, 1); }); }
  close() {}
}

const F = '/etc/keepalived/keepalived.conf';

function vips(lines: string, family = '') {
  const text = `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n${family}\n virtual_ipaddress {\n${lines}\n }\n}\n`;
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!.vrrp.instances[0]!.virtualIpAddresses;
}

describe('vipSpec', () => {
  it('carries prefix, label and scope of an IPv4 virtual address', () => {
    const [v] = vips('  192.168.56.131/24 dev eth1 label eth1:vip scope link');
    const s = vipSpec(v!, 7)!;
    expect(s).toMatchObject({ family: 'inet', index: 7, prefix: 24, label: 'eth1:vip', scope: 253 });
    expect([...s.bytes]).toEqual([192, 168, 56, 131]);
  });

  it('defaults to a /32 host route with no scope given, and never sends a label for IPv6', () => {
    const [a] = vips('  10.0.0.1');
    expect(vipSpec(a!, 2)).toMatchObject({ prefix: 32, scope: undefined, label: undefined });
    const [b] = vips('  2001:db8::1/64');
    expect(vipSpec(b!, 2)).toMatchObject({ family: 'inet6', prefix: 64, label: undefined });
  });
});

describe('HostNet address changes', () => {
  it('takes an address already there or already gone as done, without a dump first, one request at a time', async () => {
    const rtnl = new FakeRtnl();
    const net = new (HostNet as unknown as new (r: FakeRtnl) => HostNet)(rtnl);
    const [v] = vips('  2001:db8::131/64');
    const spec = vipSpec(v!, 2)!;
    expect(await Promise.all([net.delAddress(spec), net.addAddress(spec), net.addAddress(spec), net.ipv6Addresses()])).toEqual([false, true, false, [{ index: 2, address: '2001:db8::131', flags: 0 }]]);
    expect(rtnl.calls).toEqual(['del', 'add', 'add', 'dump']);
    expect(await net.delAddress(spec)).toBe(true);
    expect(rtnl.addrs).toEqual([]);
    expect(rtnl.overlapped).toBe(false);
  });
});
