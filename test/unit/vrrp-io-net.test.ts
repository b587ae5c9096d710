// Unit tests: virtual_ipaddress lines as rtnetlink addresses (dev index, prefix, label, scope).
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { vipSpec } from '../../src/vrrp/io/net.js';

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
