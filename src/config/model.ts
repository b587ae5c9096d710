// Config layer (model): the immutable, normalized director configuration that the semantic layer produces.
import type { Family, ForwardMethod, Persistence, Protocol, SchedFlag, ServiceKey, TunnelOptions } from '../ipvs/types.js';

/** SourceRef is where an object was declared in the configuration. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Script is a command lvsd runs: argv as keepalived splits it, and the user/group given on its line (else global script_user). */
export interface Script {
  readonly argv: readonly string[];
  readonly user?: string | undefined;
  readonly group?: string | undefined;
}

/** Model is a whole director configuration: one file and its includes. Times are in seconds (fractions allowed). */
export interface Model {
  /** every file read, entry first, in reading order */
  readonly files: readonly string[];
  readonly global: GlobalDefs;
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
  readonly vrrp: VrrpConfig;
}

/** LvsSyncDaemon is `lvs_sync_daemon IF [inst VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`. */
export interface LvsSyncDaemon {
  readonly interface: string;
  /** vrrp instance whose state drives master/backup; absent = run both daemons */
  readonly instance?: string | undefined;
  /** absent = the instance's virtual_router_id, or 0 */
  readonly syncId?: number | undefined;
  readonly maxLen?: number | undefined;
  readonly port?: number | undefined;
  readonly ttl?: number | undefined;
  readonly group?: string | undefined;
}

/** LvsTimeouts are `lvs_timeouts`: absent members leave the kernel value unchanged. */
export interface LvsTimeouts {
  readonly tcp?: number | undefined;
  readonly tcpFin?: number | undefined;
  readonly udp?: number | undefined;
}

/** VrrpGlobals are the global `vrrp_*` settings that instances default to. */
export interface VrrpGlobals {
  readonly version: 2 | 3;
  readonly mcastGroup4: string;
  readonly mcastGroup6: string;
  readonly garpMasterDelay: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterRefresh: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioDelay: number;
  readonly garpLowerPrioRepeat: number;
  readonly garpInterval: number;
  readonly gnaInterval: number;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly strict: boolean;
  readonly checkUnicastSrc: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly startupDelay: number;
}

/** GlobalDefs is `global_defs`. */
export interface GlobalDefs {
  readonly routerId?: string | undefined;
  readonly scriptUser?: { readonly user: string; readonly group?: string | undefined } | undefined;
  readonly enableScriptSecurity: boolean;
  readonly lvsTimeouts?: LvsTimeouts | undefined;
  readonly lvsFlush: boolean;
  readonly lvsFlushOnStop: 'none' | 'all' | 'vs';
  readonly lvsSyncDaemon?: LvsSyncDaemon | undefined;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string | undefined;
  readonly smtpServer?: { readonly host: string; readonly port: number } | undefined;
  readonly smtpConnectTimeout?: number | undefined;
  readonly smtpHeloName?: string | undefined;
  readonly vrrp: VrrpGlobals;
}

/** VirtualServerGroupEntry is one line of a `virtual_server_group`: an address range with a port (0 = none), or a fwmark. */
export type VirtualServerGroupEntry =
  | { readonly kind: 'range'; readonly family: Family; readonly first: string; readonly last: string; readonly port: number; readonly source: SourceRef }
  | { readonly kind: 'fwmark'; readonly fwmark: number; readonly family?: Family | undefined; readonly source: SourceRef };

/** VirtualServerGroup is a named `virtual_server_group`. */
export interface VirtualServerGroup {
  readonly name: string;
  readonly source: SourceRef;
  readonly entries: readonly VirtualServerGroupEntry[];
}

/** VirtualServerDecl is how a virtual server was written: `IP [PORT]`, `fwmark N` or `group NAME`. */
export type VirtualServerDecl =
  | { readonly kind: 'addr'; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly fwmark: number }
  | { readonly kind: 'group'; readonly name: string };

/** TcpCheck is a TCP_CHECK with every parameter resolved (checker ← real server ← virtual server ← default). */
export interface TcpCheck {
  readonly type: 'TCP_CHECK';
  readonly source: SourceRef;
  readonly family: Family;
  /** connect_ip, default the real server's address */
  readonly connectIp: string;
  /** connect_port, default the real server's port */
  readonly connectPort: number;
  readonly bindTo?: string | undefined;
  readonly bindPort?: number | undefined;
  readonly bindIf?: string | undefined;
  /** fwmark set on the checker's packets */
  readonly fwmark?: number | undefined;
  readonly connectTimeout: number;
  readonly retry: number;
  readonly delayBeforeRetry: number;
  /** maximum random delay before the first check */
  readonly warmup: number;
  readonly delayLoop: number;
  readonly alpha: boolean;
  readonly logAllFailures: boolean;
}

/** Checker is a health checker lvsd runs. */
export type Checker = TcpCheck;

/** SkippedChecker is a checker block lvsd does not implement yet (HTTP_GET, MISC_CHECK, …), kept so callers know it existed. */
export interface SkippedChecker {
  readonly type: string;
  readonly source: SourceRef;
}

/** RealServer is a `real_server`, its port and forwarding resolved against its virtual server. */
export interface RealServer {
  readonly source: SourceRef;
  readonly family: Family;
  readonly address: string;
  /** 0 for fwmark services with direct routing or tunnelling */
  readonly port: number;
  readonly weight: number;
  readonly forward: ForwardMethod;
  readonly tunnel?: TunnelOptions | undefined;
  /** uthreshold / lthreshold (0 = none) */
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly inhibitOnFailure: boolean;
  readonly alpha: boolean;
  readonly notifyUp?: Script | undefined;
  readonly notifyDown?: Script | undefined;
  readonly smtpAlert: boolean;
  readonly virtualhost?: string | undefined;
  readonly checkers: readonly Checker[];
  readonly skippedCheckers: readonly SkippedChecker[];
}

/** SorryServer is a virtual server's `sorry_server`, used when the quorum is lost. */
export interface SorryServer {
  readonly source: SourceRef;
  readonly family: Family;
  readonly address: string;
  readonly port: number;
  readonly forward: ForwardMethod;
  readonly tunnel?: TunnelOptions | undefined;
  readonly inhibitOnFailure: boolean;
}

/** VirtualServer is a `virtual_server` normalized for IPVS: every kernel service it stands for, and its real servers. */
export interface VirtualServer {
  /** display name in keepalived's style: `[10.0.0.1]:tcp:80`, `FWM 5`, `group NAME` */
  readonly name: string;
  readonly source: SourceRef;
  readonly declared: VirtualServerDecl;
  readonly family: Family;
  /** undefined for fwmark services */
  readonly protocol?: Protocol | undefined;
  /** the IPVS services: one for an address or fwmark, one per address (and fwmark) of a group */
  readonly services: readonly ServiceKey[];
  readonly scheduler: string;
  readonly schedFlags: readonly SchedFlag[];
  readonly onePacket: boolean;
  readonly persistence?: Persistence | undefined;
  readonly persistenceEngine?: string | undefined;
  /** the virtual server's default forwarding method (lb_kind / lvs_method) */
  readonly forward: ForwardMethod;
  readonly tunnel?: TunnelOptions | undefined;
  readonly delayLoop: number;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: Script | undefined;
  readonly quorumDown?: Script | undefined;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly haSuspend: boolean;
  readonly inhibitOnFailure: boolean;
  readonly smtpAlert: boolean;
  readonly virtualhost?: string | undefined;
  readonly sorryServer?: SorryServer | undefined;
  readonly realServers: readonly RealServer[];
}

/** VrrpScript is a `vrrp_script`. */
export interface VrrpScript {
  readonly name: string;
  readonly source: SourceRef;
  readonly script: Script;
  readonly interval: number;
  /** keepalived's 0 default means "the interval"; resolved here */
  readonly timeout: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

/** VirtualIp is one `virtual_ipaddress` line. */
export interface VirtualIp {
  readonly source: SourceRef;
  readonly family: Family;
  readonly address: string;
  readonly prefix: number;
  readonly broadcast?: string | undefined;
  /** dev, default the instance's interface */
  readonly dev?: string | undefined;
  readonly label?: string | undefined;
  readonly scope?: string | undefined;
  readonly peer?: string | undefined;
  readonly noTrack: boolean;
}

/** UnicastPeer is one `unicast_peer` line. */
export interface UnicastPeer {
  readonly address: string;
  readonly family: Family;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/** Tracked is a tracked script or interface with its priority weight (0 = fault on failure). */
export interface Tracked {
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
}

/** Notify are the notify scripts of an instance or sync group. */
export interface Notify {
  readonly master?: Script | undefined;
  readonly backup?: Script | undefined;
  readonly fault?: Script | undefined;
  readonly stop?: Script | undefined;
  /** `notify`: run on every transition with GROUP|INSTANCE NAME STATE PRIORITY appended */
  readonly any?: Script | undefined;
}

/** GarpSettings are an instance's gratuitous ARP settings, defaulted from the globals. */
export interface GarpSettings {
  readonly masterDelay: number;
  readonly masterRepeat: number;
  readonly masterRefresh: number;
  readonly masterRefreshRepeat: number;
  readonly lowerPrioDelay: number;
  readonly lowerPrioRepeat: number;
}

/** VrrpInstance is a `vrrp_instance`. */
export interface VrrpInstance {
  readonly name: string;
  readonly source: SourceRef;
  /** initial state: MASTER if configured (or priority 255), else BACKUP */
  readonly state: 'MASTER' | 'BACKUP';
  /** absent only with unicast peers */
  readonly interface?: string | undefined;
  readonly family: Family;
  readonly virtualRouterId: number;
  readonly priority: number;
  readonly advertInt: number;
  readonly version: 2 | 3;
  readonly preempt: boolean;
  readonly preemptDelay: number;
  readonly authentication?: { readonly type: 'PASS' | 'AH'; readonly password: string } | undefined;
  readonly virtualIpAddresses: readonly VirtualIp[];
  readonly virtualIpAddressesExcluded: readonly VirtualIp[];
  readonly mcastSrcIp?: string | undefined;
  readonly unicastSrcIp?: string | undefined;
  readonly mcastDstIp?: string | undefined;
  readonly unicastPeers: readonly UnicastPeer[];
  readonly unicastTtl?: number | undefined;
  readonly trackScripts: readonly Tracked[];
  readonly trackInterfaces: readonly Tracked[];
  readonly dontTrackPrimary: boolean;
  readonly notify: Notify;
  readonly garp: GarpSettings;
  readonly smtpAlert: boolean;
  readonly accept?: boolean | undefined;
  readonly strictMode: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly checkUnicastSrc: boolean;
  readonly promoteSecondaries: boolean;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
}

/** VrrpSyncGroup is a `vrrp_sync_group`. */
export interface VrrpSyncGroup {
  readonly name: string;
  readonly source: SourceRef;
  readonly instances: readonly string[];
  readonly trackScripts: readonly Tracked[];
  readonly trackInterfaces: readonly Tracked[];
  readonly notify: Notify;
  readonly smtpAlert: boolean;
  readonly trackingWeight: boolean;
}

/** VrrpConfig gathers the VRRP blocks. */
export interface VrrpConfig {
  readonly scripts: readonly VrrpScript[];
  readonly instances: readonly VrrpInstance[];
  readonly syncGroups: readonly VrrpSyncGroup[];
}
