// Domain layer: IPVS objects as lvsd sees them, independent of the wire format.

/** Protocol is the transport protocol of an address-based virtual service. */
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** Family is the address family of a service or destination. */
export type Family = 'inet' | 'inet6';

/** ForwardMethod is how IPVS hands packets to a real server (ipvsadm -g/-m/-i, plus kernel-internal ones). */
export type ForwardMethod = 'route' | 'masq' | 'tunnel' | 'local' | 'bypass';

/** TunnelType is the encapsulation of the tunnel forwarding method. */
export type TunnelType = 'ipip' | 'gue' | 'gre';

/** TunnelFlag is one checksum option of GUE/GRE tunnels. */
export type TunnelFlag = 'nocsum' | 'csum' | 'remcsum';

/** ServiceKey identifies a virtual service: by address, protocol and port, or by firewall mark. */
export type ServiceKey =
  | { readonly kind: 'addr'; readonly family: Family; readonly protocol: Protocol; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: Family; readonly fwmark: number };

/** Persistence is a service's persistence: timeout in seconds and the client netmask as a prefix length. */
export interface Persistence {
  readonly timeout: number;
  /** prefix length: 0..32 for IPv4 (32 = 255.255.255.255), 0..128 for IPv6 */
  readonly netmask: number;
}

/** Stats are a service's or destination's 64-bit counters and estimated rates. */
export interface Stats {
  readonly conns: bigint;
  readonly inPkts: bigint;
  readonly outPkts: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
  readonly cps: bigint;
  readonly inPps: bigint;
  readonly outPps: bigint;
  readonly inBps: bigint;
  readonly outBps: bigint;
}

/** SchedFlag is one of the three scheduler-specific flags (IP_VS_SVC_F_SCHED1..3). */
export type SchedFlag = 1 | 2 | 3;

/** Service is a virtual service: what is configured, plus what the kernel reports when listed. */
export interface Service {
  readonly key: ServiceKey;
  readonly scheduler: string;
  readonly persistence?: Persistence | undefined;
  readonly onePacket: boolean;
  /** scheduler flags set: sh-fallback/mh-fallback = 1, sh-port/mh-port = 2, flag-3 = 3 */
  readonly schedFlags: readonly SchedFlag[];
  /** persistence engine name, e.g. "sip" */
  readonly pe?: string | undefined;
  /** present only when read from the kernel */
  readonly stats?: Stats | undefined;
}

/** TunnelOptions are the encapsulation settings of a tunnel destination. */
export interface TunnelOptions {
  readonly type: TunnelType;
  /** UDP port for GUE, 0 otherwise */
  readonly port: number;
  readonly flags: readonly TunnelFlag[];
}

/** DestKey identifies a destination (real server) within its service. */
export interface DestKey {
  readonly family: Family;
  readonly address: string;
  readonly port: number;
}

/** Destination is a real server of a virtual service. */
export interface Destination extends DestKey {
  readonly forward: ForwardMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnel?: TunnelOptions | undefined;
  /** present only when read from the kernel */
  readonly activeConns?: number | undefined;
  readonly inactiveConns?: number | undefined;
  readonly persistConns?: number | undefined;
  readonly stats?: Stats | undefined;
}

/** Info is the kernel's IPVS version and connection table size. */
export interface Info {
  /** version as the kernel encodes it: (major << 16) | (minor << 8) | patch */
  readonly version: number;
  readonly connTableSize: number;
}

/** Timeouts are the TCP, TCP FIN and UDP connection timeouts in seconds (0 in a write = unchanged). */
export interface Timeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** SyncDaemon is one connection-synchronisation daemon (master or backup). */
export interface SyncDaemon {
  readonly state: 'master' | 'backup';
  readonly mcastInterface: string;
  readonly syncId: number;
  readonly syncMaxLen?: number | undefined;
  readonly mcastGroup?: string | undefined;
  readonly mcastPort?: number | undefined;
  readonly mcastTtl?: number | undefined;
}

/** Connection is one entry of /proc/net/ip_vs_conn. */
export interface Connection {
  readonly protocol: string;
  readonly fromAddress: string;
  readonly fromPort: number;
  readonly toAddress: string;
  readonly toPort: number;
  readonly destAddress: string;
  readonly destPort: number;
  readonly state: string;
  readonly expires: number;
  readonly pe?: { readonly name: string; readonly data: string } | undefined;
}

/** Table is a full snapshot of the IPVS table: services in kernel order, each with its destinations. */
export interface Table {
  readonly services: readonly { readonly service: Service; readonly dests: readonly Destination[] }[];
}

/** IpvsOp is one write to the IPVS table; writes are sent in batches. */
export type IpvsOp =
  | { readonly op: 'add-service'; readonly service: Service }
  | { readonly op: 'edit-service'; readonly service: Service }
  | { readonly op: 'del-service'; readonly key: ServiceKey }
  | { readonly op: 'add-dest'; readonly service: ServiceKey; readonly dest: Destination }
  | { readonly op: 'edit-dest'; readonly service: ServiceKey; readonly dest: Destination }
  | { readonly op: 'del-dest'; readonly service: ServiceKey; readonly dest: DestKey }
  | { readonly op: 'flush' }
  | { readonly op: 'zero'; readonly service?: ServiceKey | undefined }
  | { readonly op: 'set-timeouts'; readonly timeouts: Timeouts }
  | { readonly op: 'start-daemon'; readonly daemon: SyncDaemon }
  | { readonly op: 'stop-daemon'; readonly state: 'master' | 'backup' };
