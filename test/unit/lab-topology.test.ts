import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/lab/errors.js';
import { l1Topology, l2Topology, l3Topology, l4Topology } from '../../src/lab/layouts.js';
import { findHost, parseTopology, shellQuote, topologyCommands, type TopologyInput } from '../../src/lab/topology.js';

const l2: TopologyInput = {
  hosts: [
    { name: 'client', role: 'client', addresses: ['192.168.56.10/24'] },
    { name: 'director1', role: 'director', addresses: ['192.168.56.121/24'] },
    { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24'] },
    { name: 'rs2', role: 'realserver', addresses: ['192.168.56.102/24'], nginx: { body: 'second\n' } },
  ],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof LabError ? e.code : 'not a LabError';
  }
  return undefined;
}

describe('parseTopology', () => {
  it('names the bridge br0 unless told otherwise', () => {
    expect(parseTopology(l2).bridge).toBe('br0');
    expect(parseTopology({ ...l2, bridge: 'lan0' }).bridge).toBe('lan0');
  });

  it('gives every host eth0 inside its namespace and a v-<name> link on the bridge', () => {
    const h = findHost(parseTopology(l2), 'director1');
    expect(h.iface).toBe('eth0');
    expect(h.link).toBe('v-director1');
  });

  it('runs nginx on real servers by default, serving a body that names the host', () => {
    const t = parseTopology(l2);
    expect(findHost(t, 'rs1').nginx).toEqual({ body: 'rs1\n', port: 80 });
    expect(findHost(t, 'rs2').nginx).toEqual({ body: 'second\n', port: 80 });
    expect(findHost(t, 'client').nginx).toBeNull();
    expect(findHost(t, 'director1').nginx).toBeNull();
  });

  it('lets any host run nginx on request and a real server go without it', () => {
    const t = parseTopology({
      hosts: [
        { name: 'lb1', role: 'client', addresses: ['10.0.0.1/24'], nginx: { port: 8080 } },
        { name: 'rs1', role: 'realserver', addresses: ['10.0.0.2/24'], nginx: false },
      ],
    });
    expect(findHost(t, 'lb1').nginx).toEqual({ body: 'lb1\n', port: 8080 });
    expect(findHost(t, 'rs1').nginx).toBeNull();
  });

  it('keeps an nginx upstream of HOST:PORT web servers and rejects anything else', () => {
    const t = parseTopology({ hosts: [{ name: 'lb1', role: 'realserver', addresses: ['10.0.0.1/24'], nginx: { upstream: ['10.0.0.21:80', 'web2:8080'] } }] });
    expect(findHost(t, 'lb1').nginx).toEqual({ body: 'lb1\n', port: 80, upstream: ['10.0.0.21:80', 'web2:8080'] });
    expect(() => parseTopology({ hosts: [{ name: 'lb1', role: 'realserver', addresses: ['10.0.0.1/24'], nginx: { upstream: ['10.0.0.21'] } }] })).toThrow(/expected HOST:PORT/);
    expect(() => parseTopology({ hosts: [{ name: 'lb1', role: 'realserver', addresses: ['10.0.0.1/24'], nginx: { upstream: [] } }] })).toThrow(LabError);
  });

  it('describes the four layouts as valid topologies with distinct addresses', () => {
    for (const t of [l1Topology(), l2Topology(2, 4), l3Topology(4), l4Topology(12)]) expect(() => parseTopology(t)).not.toThrow();
    expect(findHost(parseTopology(l4Topology(12)), 'client').addresses).toHaveLength(13);
    expect(findHost(parseTopology(l4Topology(12)), 'client').addresses.at(-1)).toBe('192.168.1.42/24');
    expect(findHost(parseTopology(l1Topology()), 'nginx1').nginx?.upstream).toEqual(['192.168.67.21:80', '192.168.67.22:80']);
    expect(parseTopology(l3Topology()).hosts.map((h) => h.name)).toEqual(['lvs1', 'lvs2', 'server1', 'server2', 'app1', 'app2', 'client']);
  });

  it('turns on IPv4 forwarding for directors and routers only, and adds the sysctls asked for', () => {
    const t = parseTopology({
      hosts: [
        { name: 'd', role: 'director', addresses: ['10.0.0.1/24'] },
        { name: 'r', role: 'router', addresses: ['10.0.0.2/24'] },
        { name: 'c', role: 'client', addresses: ['10.0.0.3/24'], sysctls: { 'net.ipv4.conf.all.arp_ignore': 1 } },
      ],
    });
    expect(findHost(t, 'd').sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(findHost(t, 'r').sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(findHost(t, 'c').sysctls).toEqual({ 'net.ipv4.conf.all.arp_ignore': '1' });
  });

  it('rejects duplicate host names and an address used twice with LAB_BAD_TOPOLOGY', () => {
    const dupName = { hosts: [l2.hosts[0]!, { ...l2.hosts[1]!, name: 'client' }] };
    const dupAddr = { hosts: [l2.hosts[0]!, { ...l2.hosts[1]!, addresses: ['192.168.56.10/16'] }] };
    expect(codeOf(() => parseTopology(dupName))).toBe('LAB_BAD_TOPOLOGY');
    expect(codeOf(() => parseTopology(dupAddr))).toBe('LAB_BAD_TOPOLOGY');
  });

  it('rejects addresses without a prefix length, unknown roles and unsafe host names', () => {
    const host = { name: 'a', role: 'client', addresses: ['10.0.0.1/24'] };
    expect(codeOf(() => parseTopology({ hosts: [{ ...host, addresses: ['10.0.0.1'] }] }))).toBe('LAB_BAD_TOPOLOGY');
    expect(codeOf(() => parseTopology({ hosts: [{ ...host, role: 'balancer' }] }))).toBe('LAB_BAD_TOPOLOGY');
    expect(codeOf(() => parseTopology({ hosts: [{ ...host, name: 'a;reboot' }] }))).toBe('LAB_BAD_TOPOLOGY');
    expect(codeOf(() => parseTopology({ hosts: [{ ...host, name: 'much-too-long-name' }] }))).toBe('LAB_BAD_TOPOLOGY');
    expect(codeOf(() => parseTopology({ hosts: [] }))).toBe('LAB_BAD_TOPOLOGY');
  });

  it('explains what is wrong and where in the message', () => {
    try {
      parseTopology({ hosts: [{ name: 'a', role: 'client', addresses: ['300.1.1.1/24'] }] });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain("at hosts[0].addresses[0]");
    }
  });

  it('answers LAB_UNKNOWN_HOST for a host the topology does not have', () => {
    expect(codeOf(() => findHost(parseTopology(l2), 'rs9'))).toBe('LAB_UNKNOWN_HOST');
  });
});

describe('topologyCommands', () => {
  it('builds the bridge and every namespace with its veth pair first, in one ip batch', () => {
    const [first] = topologyCommands(parseTopology(l2));
    expect(first?.split('\n')).toEqual([
      "ip -batch - <<'LAB_EOF'",
      'link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0',
      'link set br0 up',
      'netns add client',
      'link add v-client type veth peer name eth0 netns client',
      'link set v-client master br0 up',
      'netns add director1',
      'link add v-director1 type veth peer name eth0 netns director1',
      'link set v-director1 master br0 up',
      'netns add rs1',
      'link add v-rs1 type veth peer name eth0 netns rs1',
      'link set v-rs1 master br0 up',
      'netns add rs2',
      'link add v-rs2 type veth peer name eth0 netns rs2',
      'link set v-rs2 master br0 up',
      'LAB_EOF',
    ]);
  });

  it('brings up lo, the addresses and eth0 inside each namespace, in the order of the description', () => {
    const cmds = topologyCommands(
      parseTopology({ hosts: [{ name: 'r', role: 'router', addresses: ['10.0.0.1/24', '10.0.1.1/24'], gateway: '10.0.0.254' }] }),
    );
    expect(cmds[1]?.split('\n')).toEqual([
      "ip -n r -batch - <<'LAB_EOF'",
      'link set lo up',
      'addr add 10.0.0.1/24 dev eth0',
      'addr add 10.0.1.1/24 dev eth0',
      'link set eth0 up',
      'route add default via 10.0.0.254 dev eth0',
      'LAB_EOF',
    ]);
  });

  it('sets sysctls inside the host namespace right after its addresses', () => {
    const cmds = topologyCommands(parseTopology(l2));
    const i = cmds.findIndex((c) => c.startsWith('ip -n director1 '));
    expect(cmds[i + 1]).toBe('ip netns exec director1 sysctl -qw net.ipv4.ip_forward=1');
    expect(cmds.filter((c) => c.includes('sysctl'))).toHaveLength(1);
  });

  it('adds IPv6 addresses without duplicate address detection so they are usable at once', () => {
    const cmds = topologyCommands(parseTopology({ hosts: [{ name: 'a', role: 'client', addresses: ['fd00::1/64'] }] }));
    expect(cmds[1]).toContain('addr add fd00::1/64 dev eth0 nodad');
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes anything else', () => {
    expect(shellQuote('net.ipv4.ip_forward=1')).toBe('net.ipv4.ip_forward=1');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
