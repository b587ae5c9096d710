// Lab layer: the layouts of shared/docs/layouts.md as lab topologies, and the host set-up they share.
import type { TopologyInput } from './topology.js';

/** L2_VIPS are layout L2's virtual IPs: VI_1 (.131, master LVS1) and VI_2 (.132, master LVS2). */
export const L2_VIPS = ['192.168.56.131', '192.168.56.132'] as const;

/** l2Topology is layout L2: directors LVS1 .121 and LVS2 .122, nginx real servers .101 and .102, a client .10. */
export function l2Topology(directors: 1 | 2 = 2): TopologyInput {
  return {
    hosts: [
      { name: 'lvs1', role: 'director', addresses: ['192.168.56.121/24'] },
      ...(directors === 2 ? [{ name: 'lvs2', role: 'director' as const, addresses: ['192.168.56.122/24'] }] : []),
      { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24'], nginx: { body: 'rs1\n' } },
      { name: 'rs2', role: 'realserver', addresses: ['192.168.56.102/24'], nginx: { body: 'rs2\n' } },
      { name: 'client', role: 'client', addresses: ['192.168.56.10/24'] },
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
