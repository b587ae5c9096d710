// Lab layer: the layouts of shared/docs/layouts.md as lab topologies, and the host set-up they share.
import type { TopologyInput } from './topology.js';

/** L2_VIPS are layout L2's virtual IPs: VI_1 (.131, master LVS1) and VI_2 (.132, master LVS2). */
export const L2_VIPS = ['192.168.56.131', '192.168.56.132'] as const;

/**
 * clientSources are `n` further addresses of a client, `<net>.31` on (`<net>` is the first three octets): IPVS
 * persistence is per client address, so requests from several sources show how new clients are scheduled.
 */
export function clientSources(net: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${net}.${31 + i}`);
}

/** l2Topology is layout L2: directors LVS1 .121 and LVS2 .122, nginx real servers .101 and .102, a client .10 (plus `sources` addresses .31…). */
export function l2Topology(directors: 1 | 2 = 2, sources = 0): TopologyInput {
  return {
    hosts: [
      { name: 'lvs1', role: 'director', addresses: ['192.168.56.121/24'] },
      ...(directors === 2 ? [{ name: 'lvs2', role: 'director' as const, addresses: ['192.168.56.122/24'] }] : []),
      { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24'], nginx: { body: 'rs1\n' } },
      { name: 'rs2', role: 'realserver', addresses: ['192.168.56.102/24'], nginx: { body: 'rs2\n' } },
      { name: 'client', role: 'client', addresses: ['192.168.56.10/24', ...clientSources('192.168.56', sources).map((a) => `${a}/24`)] },
    ],
  };
}

/** L1_VIP is layout L1's floating VIP, held by the nginx balancer that is VRRP master. */
export const L1_VIP = '192.168.67.100';

/**
 * l1Topology is layout L1: two nginx layer-7 balancers nginx1 .11 (master) and nginx2 .12 (backup), each with an
 * upstream of the web servers web1 .21 and web2 .22, and a client .10, on 192.168.67.0/24.
 */
export function l1Topology(): TopologyInput {
  const upstream = ['192.168.67.21:80', '192.168.67.22:80'];
  return {
    hosts: [
      { name: 'nginx1', role: 'realserver', addresses: ['192.168.67.11/24'], nginx: { upstream } },
      { name: 'nginx2', role: 'realserver', addresses: ['192.168.67.12/24'], nginx: { upstream } },
      { name: 'web1', role: 'realserver', addresses: ['192.168.67.21/24'], nginx: { body: 'web1\n' } },
      { name: 'web2', role: 'realserver', addresses: ['192.168.67.22/24'], nginx: { body: 'web2\n' } },
      { name: 'client', role: 'client', addresses: ['192.168.67.10/24'] },
    ],
  };
}

/** L3_TIER_VIPS are the nginx tier's own VIPs: .111 (master Server1) and .112 (master Server2), the directors' real servers. */
export const L3_TIER_VIPS = ['192.168.56.111', '192.168.56.112'] as const;

/**
 * l3Topology is layout L3: L2's directors lvs1 .121 and lvs2 .122 in front of the nginx tier server1 .113 and
 * server2 .114 (VRRP pair for the tier VIPs .111/.112, each an L7 balancer over the applications app1 .201 and
 * app2 .202), and a client .10 with `sources` further addresses .31….
 */
export function l3Topology(sources = 0): TopologyInput {
  const upstream = ['192.168.56.201:80', '192.168.56.202:80'];
  return {
    hosts: [
      { name: 'lvs1', role: 'director', addresses: ['192.168.56.121/24'] },
      { name: 'lvs2', role: 'director', addresses: ['192.168.56.122/24'] },
      { name: 'server1', role: 'realserver', addresses: ['192.168.56.113/24'], nginx: { upstream } },
      { name: 'server2', role: 'realserver', addresses: ['192.168.56.114/24'], nginx: { upstream } },
      { name: 'app1', role: 'realserver', addresses: ['192.168.56.201/24'], nginx: { body: 'app1\n' } },
      { name: 'app2', role: 'realserver', addresses: ['192.168.56.202/24'], nginx: { body: 'app2\n' } },
      { name: 'client', role: 'client', addresses: ['192.168.56.10/24', ...clientSources('192.168.56', sources).map((a) => `${a}/24`)] },
    ],
  };
}

/** L4_VIP is layout L4's VIP, shared by the two hosts that are directors and real servers at once. */
export const L4_VIP = '192.168.1.120';

/** l4Topology is layout L4: lvs103 .103 (backup) and lvs104 .104 (master), each a director and an nginx web site, and a client .10 with `sources` further addresses .31…. */
export function l4Topology(sources = 0): TopologyInput {
  return {
    hosts: [
      { name: 'lvs103', role: 'director', addresses: ['192.168.1.103/24'], nginx: { body: 'lvs103\n' } },
      { name: 'lvs104', role: 'director', addresses: ['192.168.1.104/24'], nginx: { body: 'lvs104\n' } },
      { name: 'client', role: 'client', addresses: ['192.168.1.10/24', ...clientSources('192.168.1', sources).map((a) => `${a}/24`)] },
    ],
  };
}

/**
 * drRealServerCommand is the shell that users' rc scripts run on a DR real server: the VIPs on lo as host
 * addresses, arp_ignore=1 and arp_announce=2 on all and eth0 (`lvsd realserver up` does this through rtnetlink).
 */
export function drRealServerCommand(vips: readonly string[]): string {
  return vips
    .map((v, i) => `ip addr add ${v}/32 dev lo label lo:${i + 1}`)
    .concat(['sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2'])
    .join(' && ');
}

/** CheckTimings are a virtual server's TCP_CHECK timings in seconds (brisk values keep lab scenarios short). */
export interface CheckTimings {
  readonly delayLoop: number;
  readonly connectTimeout: number;
  readonly retry: number;
  readonly delayBeforeRetry: number;
}

/** removalBound is the longest a failed real server may stay in the table: delay_loop + (retry+1) × connect_timeout + retry × delay_before_retry. */
export function removalBound(t: CheckTimings): number {
  return t.delayLoop + (t.retry + 1) * t.connectTimeout + t.retry * t.delayBeforeRetry;
}

/**
 * drVirtualServer is a keepalived-style `virtual_server` block on port 80 with direct routing and a TCP_CHECK on
 * each real server, one keyword per line (keepalived's parser reads the same text).
 */
export function drVirtualServer(vip: string, scheduler: string, realServers: readonly { address: string; weight: number }[], t: CheckTimings, extra = ''): string {
  const rs = ({ address, weight }: { address: string; weight: number }) => `    real_server ${address} 80 {
        weight ${weight}
        TCP_CHECK {
            connect_port 80
            connect_timeout ${t.connectTimeout}
            retry ${t.retry}
            delay_before_retry ${t.delayBeforeRetry}
        }
    }`;
  return `virtual_server ${vip} 80 {
    delay_loop ${t.delayLoop}
    lb_algo ${scheduler}
    lb_kind DR
${extra}    protocol TCP
${realServers.map(rs).join('\n')}
}
`;
}
