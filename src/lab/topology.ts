// Lab layer (pure): a validated description of the lab's hosts and the shell commands that build it in the guest.
import { z } from 'zod';
import { LabError } from './errors.js';

/** ROLES are the parts a lab host can play; directors and routers forward IPv4, real servers run nginx. */
export const ROLES = ['client', 'director', 'realserver', 'router'] as const;

/** Role is the part a lab host plays. */
export type Role = (typeof ROLES)[number];

/** MAX_HOSTS is the most hosts a topology may have (each gets one of the guest's serial lines). */
export const MAX_HOSTS = 60;

/** HOST_IFACE is the name of every host's network interface inside its namespace. */
export const HOST_IFACE = 'eth0';

const hostName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,11}$/, 'host names are 1-12 characters: a lowercase letter, then letters, digits, _ or -');
const cidr = z.union([z.cidrv4(), z.cidrv6()], { error: 'expected an address with prefix length, e.g. 192.168.56.10/24' });
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IP address without prefix length' });
const sysctlName = z.string().regex(/^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$/, 'expected a sysctl name such as net.ipv4.ip_forward');

const nginxSchema = z.union([
  z.literal(false),
  z
    .object({
      body: z.string().max(65_536).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      // nginx as a layer-7 balancer: proxy every request to these web servers (round robin) instead of answering
      upstream: z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected HOST:PORT, e.g. 192.168.67.21:80')).min(1).optional(),
    })
    .strict(),
]);

const hostSchema = z
  .object({
    name: hostName,
    role: z.enum(ROLES),
    addresses: z.array(cidr).min(1),
    gateway: ip.optional(),
    nginx: nginxSchema.optional(),
    sysctls: z.record(sysctlName, z.union([z.string().regex(/^[\w.:/ -]*$/), z.number()])).optional(),
  })
  .strict();

/** topologySchema validates a lab description (see TopologyInput). */
export const topologySchema = z
  .object({
    bridge: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,14}$/, 'bridge names are 1-15 characters: a lowercase letter, then letters, digits, _ or -')
      .optional(),
    hosts: z.array(hostSchema).min(1).max(MAX_HOSTS),
  })
  .strict()
  .superRefine((t, ctx) => {
    const names = new Set<string>();
    const addrs = new Map<string, string>();
    t.hosts.forEach((h, i) => {
      if (names.has(h.name)) ctx.addIssue({ code: 'custom', message: `duplicate host name "${h.name}"`, path: ['hosts', i, 'name'] });
      names.add(h.name);
      for (const a of h.addresses) {
        const bare = a.split('/')[0] as string;
        const owner = addrs.get(bare);
        if (owner !== undefined) ctx.addIssue({ code: 'custom', message: `address ${bare} is on both "${owner}" and "${h.name}"`, path: ['hosts', i, 'addresses'] });
        addrs.set(bare, h.name);
      }
    });
  });

/** TopologyInput is the description a test writes: hosts on one bridge, each with its role and addresses. */
export type TopologyInput = z.input<typeof topologySchema>;

/** NginxSite is what nginx serves on a host: the same body for every request, on one port (or, with upstream, what its web servers answer). */
export interface NginxSite {
  readonly body: string;
  readonly port: number;
  /** HOST:PORT of web servers this nginx balances over (layer 7, round robin); absent: it answers with body itself */
  readonly upstream?: readonly string[];
}

/** LabHost is one host of a parsed topology, with the names derived for it. */
export interface LabHost {
  readonly name: string;
  readonly role: Role;
  readonly addresses: readonly string[];
  readonly gateway?: string;
  /** null when nginx does not run on this host */
  readonly nginx: NginxSite | null;
  readonly sysctls: Readonly<Record<string, string>>;
  /** interface inside the host's namespace */
  readonly iface: string;
  /** the veth end in the guest's root namespace, enslaved to the bridge */
  readonly link: string;
}

/** Topology is a parsed, validated lab description. */
export interface Topology {
  readonly bridge: string;
  readonly hosts: readonly LabHost[];
}

/** parseTopology validates a description and derives names and defaults; it throws LabError LAB_BAD_TOPOLOGY. */
export function parseTopology(input: unknown): Topology {
  const r = topologySchema.safeParse(input);
  if (!r.success) throw new LabError('LAB_BAD_TOPOLOGY', `invalid lab topology:\n${z.prettifyError(r.error)}`);
  return {
    bridge: r.data.bridge ?? 'br0',
    hosts: r.data.hosts.map((h) => {
      const forwards = h.role === 'director' || h.role === 'router';
      const sysctls: Record<string, string> = forwards ? { 'net.ipv4.ip_forward': '1' } : {};
      // IPv6 hosts keep their addresses across `ip link set down/up`, as across a cable pull (and as IPv4 does)
      if (h.addresses.some((a) => a.includes(':'))) sysctls[`net.ipv6.conf.${HOST_IFACE}.keep_addr_on_down`] = '1';
      for (const [k, v] of Object.entries(h.sysctls ?? {})) sysctls[k] = String(v);
      const wantsNginx = h.nginx !== undefined ? h.nginx !== false : h.role === 'realserver';
      const site = h.nginx === false || h.nginx === undefined ? {} : h.nginx;
      return {
        name: h.name,
        role: h.role,
        addresses: [...h.addresses],
        ...(h.gateway !== undefined ? { gateway: h.gateway } : {}),
        nginx: wantsNginx ? { body: site.body ?? `${h.name}\n`, port: site.port ?? 80, ...(site.upstream ? { upstream: [...site.upstream] } : {}) } : null,
        sysctls,
        iface: HOST_IFACE,
        link: `v-${h.name}`,
      };
    }),
  };
}

/** findHost returns the topology's host of that name or throws LabError LAB_UNKNOWN_HOST. */
export function findHost(t: Topology, name: string): LabHost {
  const h = t.hosts.find((x) => x.name === name);
  if (!h) throw new LabError('LAB_UNKNOWN_HOST', `no host "${name}" in the lab (hosts: ${t.hosts.map((x) => x.name).join(', ')})`);
  return h;
}

/**
 * topologyCommands returns the ordered shell commands that build the topology in the guest's root namespace:
 * the bridge, one namespace per host with a veth pair into the bridge, addresses, routes, links up, sysctls.
 * Commands are grouped into `ip -batch` runs because every process start is slow in the guest.
 */
export function topologyCommands(t: Topology): string[] {
  const root = [
    `link add ${t.bridge} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`,
    `link set ${t.bridge} up`,
    ...t.hosts.flatMap((h) => [
      `netns add ${h.name}`,
      `link add ${h.link} type veth peer name ${h.iface} netns ${h.name}`,
      `link set ${h.link} master ${t.bridge} up`,
    ]),
  ];
  const cmds = [ipBatch(null, root)];
  for (const h of t.hosts) {
    const inner = [
      'link set lo up',
      ...h.addresses.map((a) => `addr add ${a} dev ${h.iface}${a.includes(':') ? ' nodad' : ''}`),
      `link set ${h.iface} up`,
      ...(h.gateway !== undefined ? [`route add default via ${h.gateway} dev ${h.iface}`] : []),
    ];
    cmds.push(ipBatch(h.name, inner));
    const sysctls = Object.entries(h.sysctls);
    if (sysctls.length > 0) cmds.push(`ip netns exec ${h.name} sysctl -qw ${sysctls.map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ')}`);
  }
  return cmds;
}

function ipBatch(ns: string | null, lines: readonly string[]): string {
  return `ip ${ns === null ? '' : `-n ${ns} `}-batch - <<'LAB_EOF'\n${lines.join('\n')}\nLAB_EOF`;
}

/** shellQuote quotes one word for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
