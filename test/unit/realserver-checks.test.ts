// Unit test: the dangers `status` sees on a DR real server, and the report it builds.
import { describe, expect, it } from 'vitest';
import { IFA_F_DEPRECATED } from '../../src/netlink/rtnl.js';
import { buildStatus, findDangers } from '../../src/realserver/checks.js';
import { EMPTY_STATE, type HostAddress, type HostSnapshot, type Vip } from '../../src/realserver/model.js';
import { renderStatus } from '../../src/realserver/render.js';

const GOOD: Record<string, string> = {};
for (const i of ['all', 'eth0', 'eth1']) {
  Object.assign(GOOD, { [`net/ipv4/conf/${i}/arp_ignore`]: '1', [`net/ipv4/conf/${i}/arp_announce`]: '2', [`net/ipv4/conf/${i}/proxy_arp`]: '0', [`net/ipv4/conf/${i}/rp_filter`]: '0' });
}
const addr = (address: string, index: number, flags = 0x80): HostAddress => ({
  family: address.includes(':') ? 'inet6' : 'inet',
  address,
  prefix: address.includes(':') ? 128 : 32,
  index,
  interface: ['', 'lo', 'eth0', 'eth1'][index]!,
  flags,
});

function host(o: { sysctls?: Record<string, string>; addresses?: HostAddress[]; routes?: string[] } = {}): HostSnapshot {
  return {
    links: [
      { index: 1, name: 'lo', loopback: true, up: true },
      { index: 2, name: 'eth0', loopback: false, up: true },
      { index: 3, name: 'eth1', loopback: false, up: true },
    ],
    addresses: o.addresses ?? [addr('192.168.56.131', 1), addr('192.168.56.101', 2)],
    sysctls: { ...GOOD, ...o.sysctls },
    defaultRouteInterfaces: o.routes ?? [],
  };
}
const VIP: readonly Vip[] = [{ family: 'inet', address: '192.168.56.131' }];
const codes = (h: HostSnapshot, interfaces = ['eth0', 'eth1'], vips = VIP, vrrp?: Set<string>) =>
  findDangers({ host: h, vips, interfaces, vrrpVips: vrrp }).map((d) => `${d.severity} ${d.code}${d.interface ? ` ${d.interface}` : ''}`);

describe('findDangers', () => {
  it('sees none on a real server set up as DR wants', () => {
    expect(codes(host())).toEqual([]);
  });

  it('sees a VIP missing from lo', () => {
    expect(codes(host({ addresses: [addr('192.168.56.101', 2)] }))).toEqual(['error VIP_NOT_ON_LOOPBACK']);
  });

  it('sees a VIP on a NIC as an error, or as a warning when a vrrp_instance of the configuration moves it', () => {
    const h = host({ addresses: [addr('192.168.56.131', 1), addr('192.168.56.131', 2)] });
    expect(codes(h)).toEqual(['error VIP_ON_INTERFACE eth0']);
    expect(codes(h, undefined, undefined, new Set(['inet 192.168.56.131']))).toEqual(['warning VIP_ON_INTERFACE eth0']);
  });

  it('takes the larger of all and the interface for arp_ignore: 0 on the interface is fine when all is 1', () => {
    expect(codes(host({ sysctls: { 'net/ipv4/conf/eth1/arp_ignore': '0' } }))).toEqual([]);
    expect(codes(host({ sysctls: { 'net/ipv4/conf/all/arp_ignore': '0', 'net/ipv4/conf/eth1/arp_ignore': '0' } }))).toEqual(['error ARP_IGNORE eth1', 'warning ARP_IGNORE_ALL all']);
  });

  it('sees arp_ignore=3 (answers for global addresses, such as a VIP) as an error and 8 as a warning', () => {
    expect(codes(host({ sysctls: { 'net/ipv4/conf/eth0/arp_ignore': '3' } }))).toEqual(['error ARP_IGNORE eth0']);
    expect(codes(host({ sysctls: { 'net/ipv4/conf/eth0/arp_ignore': '8' } }))).toEqual(['warning ARP_IGNORE eth0']);
  });

  it('sees arp_announce below 2 on a facing interface only', () => {
    expect(codes(host({ sysctls: { 'net/ipv4/conf/all/arp_announce': '0', 'net/ipv4/conf/eth1/arp_announce': '1' } }), ['eth0', 'eth1'])).toEqual(['error ARP_ANNOUNCE eth1']);
    expect(codes(host({ sysctls: { 'net/ipv4/conf/all/arp_announce': '0', 'net/ipv4/conf/eth1/arp_announce': '1' } }), ['eth0'])).toEqual([]);
  });

  it('sees proxy_arp on when either all or the interface has it', () => {
    expect(codes(host({ sysctls: { 'net/ipv4/conf/all/proxy_arp': '1' } }), ['eth0'])).toEqual(['warning PROXY_ARP eth0']);
  });

  it('sees strict rp_filter on an interface the default route does not leave by', () => {
    const strict = { 'net/ipv4/conf/all/rp_filter': '1' };
    expect(codes(host({ sysctls: strict, routes: ['eth1'] }))).toEqual(['error RP_FILTER_STRICT eth0']);
    expect(codes(host({ sysctls: strict, routes: ['eth0'] }), ['eth0'])).toEqual([]);
    expect(codes(host({ sysctls: { ...strict, 'net/ipv4/conf/all/rp_filter': '2' }, routes: ['eth1'] }))).toEqual([]);
  });

  it('checks no ARP setting for IPv6 VIPs, but warns about one that may become a source address', () => {
    const h = host({ sysctls: { 'net/ipv4/conf/all/arp_ignore': '0', 'net/ipv4/conf/eth0/arp_ignore': '0' }, addresses: [addr('2001:db8::131', 1)] });
    const six = [{ family: 'inet6' as const, address: '2001:db8::131' }];
    expect(codes(h, ['eth0'], six)).toEqual(['warning VIP6_PREFERRED']);
    expect(codes({ ...h, addresses: [addr('2001:db8::131', 1, 0x80 | IFA_F_DEPRECATED)] }, ['eth0'], six)).toEqual([]);
  });

  it('sees no VIP and no facing interface as errors', () => {
    expect(codes(host(), [], [])).toEqual(['error NO_VIPS', 'error NO_INTERFACE']);
  });
});

describe('buildStatus', () => {
  it('reports each VIP, the settings with their effective values and what lvsd recorded', () => {
    const state = { version: 1 as const, addresses: [{ family: 'inet' as const, address: '192.168.56.131', prefix: 32, interface: 'lo', label: 'lo:1' }], sysctls: [{ name: 'net/ipv4/conf/eth0/arp_ignore', previous: '0', value: '1' }] };
    const h = host({ sysctls: { 'net/ipv4/conf/eth0/arp_ignore': '1', 'net/ipv4/conf/all/arp_ignore': '0' } });
    const r = buildStatus({ host: { ...h, addresses: [{ ...addr('192.168.56.131', 1), label: 'lo:1' }] }, vips: VIP, interfaces: ['eth0'] }, state, '/s.json');
    expect(r.ok).toBe(true);
    expect(r.vips).toEqual([{ address: '192.168.56.131', family: 'inet', onLoopback: true, label: 'lo:1', alsoOn: [], addedByLvsd: true, deprecated: undefined }]);
    expect(r.settings.find((s) => s.name === 'net.ipv4.conf.eth0.arp_ignore')).toEqual({ name: 'net.ipv4.conf.eth0.arp_ignore', value: '1', effective: 1, previous: '0' });
    expect(r.ipv6).toEqual([]);
    const text = renderStatus(r).join('\n');
    expect(text).toMatch(/192\.168\.56\.131\/32 +on lo \(lo:1\), added by lvsd/);
    expect(text).toMatch(/net\.ipv4\.conf\.eth0\.arp_ignore +1 +effective 1 +\(was 0 before lvsd\)/);
    expect(text).toContain('warning: [ARP_IGNORE_ALL]');
    expect(text.split('\n').at(-1)).toBe('ready: this host can serve DR traffic for these VIPs');
  });

  it('is not ok when any danger is an error, and carries the IPv6 notes for IPv6 VIPs', () => {
    const r = buildStatus({ host: host({ addresses: [] }), vips: [...VIP, { family: 'inet6', address: '2001:db8::131' }], interfaces: ['eth0'] }, EMPTY_STATE, '/s.json');
    expect(r.ok).toBe(false);
    expect(r.ipv6.length).toBeGreaterThan(0);
    expect(renderStatus(r).at(-1)).toBe('NOT ready: 2 errors; this host cannot serve DR traffic safely');
  });
});
