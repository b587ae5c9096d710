// Unit test: which VIPs and interfaces a real server wants — --vip values, the cluster's configuration, the host's interfaces.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryFs, nodeFs, parseConfig, type Model } from '../../src/config/index.js';
import { EMPTY_STATE, type HostSnapshot } from '../../src/realserver/model.js';
import { facingInterfaces, loopbackVips, parseVip, vipsFromModel, vrrpVipKeys } from '../../src/realserver/vips.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const model = (path: string): Model => parseConfig(path, nodeFs).model!;
const own = (...addresses: string[]) => addresses.map((address) => ({ family: address.includes(':') ? ('inet6' as const) : ('inet' as const), address }));

describe('parseVip', () => {
  it('reads IPv4 and IPv6 addresses, with or without the host prefix, in canonical form', () => {
    expect(parseVip('192.168.56.131')).toEqual({ family: 'inet', address: '192.168.56.131' });
    expect(parseVip('192.168.56.131/32')).toEqual({ family: 'inet', address: '192.168.56.131' });
    expect(parseVip('2001:DB8:0:0::131/128')).toEqual({ family: 'inet6', address: '2001:db8::131' });
    expect(parseVip('[2001:db8::131]')).toEqual({ family: 'inet6', address: '2001:db8::131' });
  });

  it.each(['', 'lo', '192.168.56', '192.168.056.131', '2001:db8::131/64', '0.0.0.0', '224.0.0.18', '::1', 'ff02::1'])('rejects %j with RS_BAD_ADDRESS', (text) => {
    expect(() => parseVip(text)).toThrow(expect.objectContaining({ code: 'RS_BAD_ADDRESS' }));
  });
});

describe('vipsFromModel', () => {
  it('gives both L2 VIPs to either real server and none to a host the file does not list', () => {
    const m = model(`${EXAMPLES}l2-dr-directors/lvs1.conf`);
    const vips = ['192.168.56.131', '192.168.56.132'].map((address) => ({ family: 'inet', address }));
    expect(vipsFromModel(m, own('192.168.56.101')).vips).toEqual(vips);
    expect(vipsFromModel(m, own('10.1.1.1', '192.168.56.102')).vips).toEqual(vips);
    expect(vipsFromModel(m, own('192.168.56.121')).vips).toEqual([]);
  });

  it('gives the L4 VIP to the backup director, which is one of its real servers, and knows VRRP moves it', () => {
    const m = model(`${EXAMPLES}l4-directors-as-real-servers/backup.conf`);
    expect(vipsFromModel(m, own('192.168.1.103')).vips).toEqual([{ family: 'inet', address: '192.168.1.120' }]);
    expect(vrrpVipKeys(m)).toEqual(new Set(['inet 192.168.1.120']));
  });

  it('takes every address of a virtual_server_group, IPv6 too, and notes fwmark services it cannot name', () => {
    const conf = `virtual_server_group WEB {
  10.0.0.1-3 80
  fwmark 7
}
virtual_server 2001:db8::10 80 {
  lb_kind DR
  protocol TCP
  real_server 2001:db8::101 80 {
  }
}
virtual_server group WEB {
  lb_kind DR
  protocol TCP
  real_server 10.0.0.101 80 {
  }
}
virtual_server fwmark 9 {
  lb_kind DR
  real_server 10.0.0.101 80 {
  }
}
`;
    const r = parseConfig('/c.conf', memoryFs({ '/c.conf': conf }));
    expect(r.model, JSON.stringify(r.diagnostics)).toBeDefined();
    const got = vipsFromModel(r.model!, own('10.0.0.101', '2001:db8:0::101'));
    expect(got.vips.map((v) => v.address).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::10']);
    expect(got.notes).toHaveLength(2);
    expect(got.notes[0]).toMatch(/firewall-mark service/);
  });
});

describe('interfaces', () => {
  const host: HostSnapshot = {
    links: [
      { index: 1, name: 'lo', loopback: true, up: true },
      { index: 2, name: 'eth0', loopback: false, up: true },
      { index: 3, name: 'eth1', loopback: false, up: false },
    ],
    addresses: [
      { family: 'inet', address: '127.0.0.1', prefix: 8, index: 1, interface: 'lo', flags: 0 },
      { family: 'inet6', address: '::1', prefix: 128, index: 1, interface: 'lo', flags: 0 },
      { family: 'inet', address: '10.0.0.9', prefix: 32, index: 1, interface: 'lo', flags: 0 },
    ],
    sysctls: {},
    defaultRouteInterfaces: [],
  };

  it('faces every interface that is up but the loopback by default, or those named, up or not', () => {
    expect(facingInterfaces(host, [])).toEqual(['eth0']);
    expect(facingInterfaces(host, ['eth1', 'eth1'])).toEqual(['eth1']);
  });

  it('rejects the loopback and interfaces the host does not have', () => {
    expect(() => facingInterfaces(host, ['lo'])).toThrow(expect.objectContaining({ code: 'RS_NO_INTERFACE' }));
    expect(() => facingInterfaces(host, ['eth2'])).toThrow('--interface eth2: no such interface on this host (it has: eth0, eth1)');
  });

  it('finds the VIPs on lo when none are named: recorded ones first, then any address outside 127/8 and ::1', () => {
    const state = { ...EMPTY_STATE, addresses: [{ family: 'inet' as const, address: '10.0.0.8', prefix: 32, interface: 'lo' }] };
    expect(loopbackVips(host, state)).toEqual([
      { family: 'inet', address: '10.0.0.8' },
      { family: 'inet', address: '10.0.0.9' },
    ]);
  });
});
