// Unit tests: the lab topology's IPv6 additions that the IPv6 VRRP lab proof relies on (src/lab/topology.ts).
import { describe, expect, it } from 'vitest';
import { findHost, parseTopology, topologyCommands } from '../../src/lab/topology.js';

describe('lab topology for IPv6 VRRP', () => {
  const t = parseTopology({
    hosts: [
      { name: 'lvs1', role: 'director', addresses: ['192.168.56.121/24', '2001:db8:56::121/64'] },
      { name: 'v4only', role: 'client', addresses: ['192.168.56.10/24'] },
    ],
  });

  it('an IPv6 host keeps its addresses when its link goes down and up, like a cable pull', () => {
    expect(findHost(t, 'lvs1').sysctls).toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.eth0.keep_addr_on_down': '1' });
    expect(topologyCommands(t)).toContain('ip netns exec lvs1 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.eth0.keep_addr_on_down=1');
  });

  it('an IPv4-only host is left as before, and IPv6 addresses skip duplicate address detection', () => {
    expect(findHost(t, 'v4only').sysctls).toEqual({});
    expect(topologyCommands(t).find((c) => c.startsWith('ip -n lvs1 '))).toContain('addr add 2001:db8:56::121/64 dev eth0 nodad');
  });
});
