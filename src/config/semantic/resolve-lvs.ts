// Config layer (semantic): virtual server drafts to model — defaults, inheritance, ports, families and IPVS services.
import type { Family, ForwardMethod, Protocol, SchedFlag, ServiceKey } from '../../ipvs/types.js';
import type { DiagnosticSink, Location } from '../diagnostics.js';
import type { RealServer, SorryServer, TcpCheck, VirtualServer, VirtualServerGroup } from '../model.js';
import { rangeAddresses, rangeSize } from './groups.js';
import type { Forwarding, RealServerDraft, SorryDraft, TcpCheckDraft, VirtualServerDraft } from './lvs.js';
import { familyOf } from './values.js';

/** LVS_DEFAULTS are keepalived's documented defaults for virtual servers, real servers and checkers. */
export const LVS_DEFAULTS = Object.freeze({
  delayLoop: 60,
  connectTimeout: 5,
  retry: 1,
  delayBeforeRetry: 1,
  weight: 1,
  scheduler: 'wlc',
  forward: 'masq' as ForwardMethod,
  persistenceTimeout: 360,
  quorum: 1,
  hysteresis: 0,
  protocol: 'udp' as Protocol,
});

/** MAX_GROUP_SERVICES bounds how many IPVS services one virtual server may expand to. */
export const MAX_GROUP_SERVICES = 4096;

/** AlertDefaults are the global smtp_alert settings real and virtual servers default to. */
export interface AlertDefaults {
  readonly smtpAlert?: boolean | undefined;
  readonly smtpAlertChecker?: boolean | undefined;
}

/** resolveVirtualServers turns drafts into model virtual servers, reporting problems; servers that cannot be built are dropped. */
export function resolveVirtualServers(
  drafts: readonly VirtualServerDraft[],
  groups: readonly VirtualServerGroup[],
  alerts: AlertDefaults,
  sink: DiagnosticSink,
): VirtualServer[] {
  const out: VirtualServer[] = [];
  const seen = new Map<string, string>();
  for (const d of drafts) {
    const vs = resolveOne(d, groups, alerts, sink);
    if (!vs) continue;
    const clash = vs.services.map(serviceId).find((k) => seen.has(k));
    if (clash) {
      sink.error('DUPLICATE', d.source, `${vs.name} repeats service ${clash} of ${seen.get(clash) ?? ''}`, 'each IPVS service may be configured once');
      continue;
    }
    for (const k of vs.services.map(serviceId)) seen.set(k, vs.name);
    out.push(vs);
  }
  return out;
}

/** serviceId is a readable identity of an IPVS service key. */
export function serviceId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `FWM ${k.fwmark} ${k.family}` : `[${k.address}]:${k.protocol}:${k.port}`;
}

function resolveOne(d: VirtualServerDraft, groups: readonly VirtualServerGroup[], alerts: AlertDefaults, sink: DiagnosticSink): VirtualServer | undefined {
  const at = d.declTok;
  const group = d.decl.kind === 'group' ? groups.find((g) => g.name === (d.decl as { name: string }).name) : undefined;
  if (d.decl.kind === 'group' && !group) {
    sink.error('UNDEFINED_REFERENCE', at, `virtual_server group '${d.decl.name}' is not defined`, 'define it with virtual_server_group NAME { … } (before or after)');
    return undefined;
  }
  const ranges = group?.entries.filter((e) => e.kind === 'range') ?? [];
  const hasAddr = d.decl.kind === 'addr' || ranges.length > 0;
  const declared = d.decl.kind === 'addr' ? familyOf(d.decl.address) : (ranges[0]?.family ?? d.ipFamily);
  const family: Family = declared ?? serverFamily(d) ?? 'inet';
  if (ranges.some((r) => r.family !== family)) {
    sink.error('FAMILY_MISMATCH', at, `virtual_server group '${group?.name ?? ''}' mixes IPv4 and IPv6 addresses`);
    return undefined;
  }

  let protocol = d.protocol;
  if (hasAddr && !protocol) {
    sink.warning('NO_PROTOCOL', at, 'virtual_server has no protocol; UDP is used, as keepalived does', 'add: protocol TCP');
    protocol = LVS_DEFAULTS.protocol;
  } else if (!hasAddr && protocol) {
    sink.warning('IGNORED_SETTING', d.protocolTok ?? at, 'protocol is ignored for a fwmark virtual server');
    protocol = undefined;
  }

  const scheduler = d.scheduler ?? LVS_DEFAULTS.scheduler;
  const { schedFlags, onePacket } = resolveFlags(d, scheduler, hasAddr ? protocol : undefined, sink);

  const timeout = d.persistenceTimeout ?? (d.granularity !== undefined ? LVS_DEFAULTS.persistenceTimeout : undefined);
  const zeroPort = d.decl.kind === 'addr' ? d.decl.port === 0 : ranges.some((r) => r.port === 0);
  if (zeroPort && !timeout) {
    sink.error('MISSING_PORT', at, 'virtual_server has no port and is not persistent', 'give a port (virtual_server IP PORT) or set persistence_timeout');
    return undefined;
  }
  const persistence = timeout ? { timeout, netmask: d.granularity ?? (family === 'inet6' ? 128 : 32) } : undefined;

  const services = buildServices(d, group, family, protocol, sink);
  if (!services) return undefined;

  const forward: Forwarding = d.forward ?? { method: LVS_DEFAULTS.forward };
  const isFwmark = d.decl.kind === 'fwmark';
  const vsPort = d.decl.kind === 'addr' ? d.decl.port : 0;
  const realServers: RealServer[] = [];
  const keys = new Set<string>();
  for (const r of d.realServers) {
    const key = `${r.address}/${r.port}`;
    if (keys.has(key)) {
      sink.warning('DUPLICATE', r.source, `real_server ${r.address} ${r.port} is repeated; the repeat is ignored`);
      continue;
    }
    keys.add(key);
    const rs = resolveRealServer(r, d, family, forward, isFwmark, vsPort, alerts, sink);
    if (rs) realServers.push(rs);
  }
  if (!realServers.length) {
    if (d.realServersWritten > 0) return undefined; // each was rejected with an error already
    sink.warning('NO_REAL_SERVERS', d.source, 'virtual_server has no real servers and is ignored, as keepalived does');
    return undefined;
  }

  const total = realServers.reduce((s, r) => s + r.weight, 0);
  let quorum = d.quorum ?? LVS_DEFAULTS.quorum;
  if (quorum > total) {
    sink.warning('IGNORED_SETTING', d.quorumTok ?? d.source, `quorum ${quorum} exceeds the total weight ${total} of the real servers; using ${total}`);
    quorum = total;
  }
  let hysteresis = d.hysteresis ?? LVS_DEFAULTS.hysteresis;
  if (hysteresis >= quorum && hysteresis > 0) {
    sink.warning('IGNORED_SETTING', d.source, `hysteresis ${hysteresis} must be below quorum ${quorum}; using ${Math.max(quorum - 1, 0)}`);
    hysteresis = Math.max(quorum - 1, 0);
  }
  let haSuspend = d.haSuspend;
  if (haSuspend && services.some((s) => s.kind === 'fwmark')) {
    sink.warning('IGNORED_SETTING', d.source, 'ha_suspend cannot be used with fwmarks; ignored');
    haSuspend = false;
  }

  return {
    name: vsName(d),
    source: d.source,
    declared: d.decl,
    family,
    ...(protocol ? { protocol } : {}),
    services,
    scheduler,
    schedFlags,
    onePacket,
    ...(persistence ? { persistence } : {}),
    ...(d.persistenceEngine ? { persistenceEngine: d.persistenceEngine } : {}),
    forward: forward.method,
    ...(forward.tunnel ? { tunnel: forward.tunnel } : {}),
    delayLoop: d.delayLoop ?? LVS_DEFAULTS.delayLoop,
    quorum,
    hysteresis,
    ...(d.quorumUp ? { quorumUp: d.quorumUp } : {}),
    ...(d.quorumDown ? { quorumDown: d.quorumDown } : {}),
    alpha: d.alpha ?? false,
    omega: d.omega,
    haSuspend,
    inhibitOnFailure: d.inhibit,
    smtpAlert: d.smtpAlert ?? alerts.smtpAlertChecker ?? alerts.smtpAlert ?? false,
    ...(d.virtualhost ? { virtualhost: d.virtualhost } : {}),
    ...(d.sorry ? sorry(d.sorry, family, forward, isFwmark, vsPort, sink) : {}),
    realServers,
  };
}

function vsName(d: VirtualServerDraft): string {
  const p = d.protocol ?? 'none';
  if (d.decl.kind === 'addr') return `[${d.decl.address}]:${p}:${d.decl.port}`;
  return d.decl.kind === 'fwmark' ? `FWM ${d.decl.fwmark}` : `group ${d.decl.name}`;
}

/** serverFamily is the family of the first non-tunnelled real or sorry server (keepalived's rule for fwmark services). */
function serverFamily(d: VirtualServerDraft): Family | undefined {
  const all = [...d.realServers, ...(d.sorry ? [d.sorry] : [])];
  const direct = all.find((s) => (s.forward ?? d.forward)?.method !== 'tunnel');
  if (direct) return familyOf(direct.address);
  const fams = new Set(all.map((s) => familyOf(s.address)));
  return fams.size === 1 ? [...fams][0] : undefined;
}

function resolveFlags(d: VirtualServerDraft, scheduler: string, protocol: Protocol | undefined, sink: DiagnosticSink): { schedFlags: SchedFlag[]; onePacket: boolean } {
  const set = new Set<SchedFlag>();
  let onePacket = false;
  const numbers: Readonly<Record<string, SchedFlag>> = { 'flag-1': 1, 'flag-2': 2, 'flag-3': 3, 'sh-fallback': 1, 'sh-port': 2, 'mh-fallback': 1, 'mh-port': 2 };
  for (const [name, tok] of d.flags) {
    if (name === 'ops') {
      if (protocol && protocol !== 'udp') sink.warning('IGNORED_SETTING', tok, 'ops (one-packet scheduling) needs UDP; ignored');
      else onePacket = true;
      continue;
    }
    const owner = name.slice(0, 2);
    if ((owner === 'sh' || owner === 'mh') && scheduler !== owner) {
      sink.warning('IGNORED_SETTING', tok, `${name} only applies to the ${owner} scheduler; ignored`);
      continue;
    }
    const n = numbers[name];
    if (n) set.add(n);
  }
  return { schedFlags: [...set].sort(), onePacket };
}

function buildServices(d: VirtualServerDraft, group: VirtualServerGroup | undefined, family: Family, protocol: Protocol | undefined, sink: DiagnosticSink): ServiceKey[] | undefined {
  if (d.decl.kind === 'addr') return [{ kind: 'addr', family, protocol: protocol ?? 'tcp', address: d.decl.address, port: d.decl.port }];
  if (d.decl.kind === 'fwmark') return [{ kind: 'fwmark', family, fwmark: d.decl.fwmark }];
  const entries = group?.entries ?? [];
  const total = entries.reduce((n, e) => n + (e.kind === 'range' ? rangeSize(e) : 1n), 0n);
  if (total > BigInt(MAX_GROUP_SERVICES)) {
    sink.error('RANGE_TOO_LARGE', d.declTok, `virtual_server group '${group?.name ?? ''}' expands to ${total} services`, `at most ${MAX_GROUP_SERVICES}; use a fwmark for large ranges`);
    return undefined;
  }
  const out: ServiceKey[] = [];
  for (const e of entries) {
    if (e.kind === 'fwmark') out.push({ kind: 'fwmark', family: e.family ?? family, fwmark: e.fwmark });
    else for (const a of rangeAddresses(e)) out.push({ kind: 'addr', family, protocol: protocol ?? 'tcp', address: a, port: e.port });
  }
  if (!out.length) sink.error('MISSING_REQUIRED', d.declTok, `virtual_server group '${group?.name ?? ''}' has no entries`);
  return out.length ? out : undefined;
}

/** fixPort applies keepalived's port rules for direct-routed and tunnelled servers (they cannot change the port). */
function fixPort(port: number, method: ForwardMethod, isFwmark: boolean, vsPort: number, what: string, at: Location, sink: DiagnosticSink): number {
  if (method === 'masq') return port === 0 && !isFwmark ? vsPort : port;
  if (isFwmark) {
    if (port !== 0) sink.warning('IGNORED_SETTING', at, `${what} port ${port} is ignored for a fwmark virtual server`);
    return 0;
  }
  if (port !== 0 && vsPort !== 0 && port !== vsPort) {
    sink.warning('IGNORED_SETTING', at, `${what} port ${port} differs from the virtual server's port ${vsPort}; ${vsPort} is used`, 'only NAT can change ports');
    return vsPort;
  }
  return port === 0 ? vsPort : port;
}

function resolveRealServer(r: RealServerDraft, d: VirtualServerDraft, family: Family, vsFwd: Forwarding, isFwmark: boolean, vsPort: number, alerts: AlertDefaults, sink: DiagnosticSink): RealServer | undefined {
  const fwd = r.forward ?? vsFwd;
  const rsFamily = familyOf(r.address);
  if (fwd.method !== 'tunnel' && rsFamily !== family) {
    sink.error('FAMILY_MISMATCH', r.source, `real_server ${r.address} is ${rsFamily} but its virtual server is ${family}`, 'only tunnelled real servers may differ');
    return undefined;
  }
  const port = fixPort(r.port, fwd.method, isFwmark, vsPort, 'real_server', r.source, sink);
  const checkers: TcpCheck[] = [];
  for (const c of r.checkers) {
    const tc = resolveCheck(c, r, d, port, sink);
    if (tc) checkers.push(tc);
  }
  return {
    source: r.source,
    family: rsFamily,
    address: r.address,
    port,
    weight: r.weight ?? d.weight ?? LVS_DEFAULTS.weight,
    forward: fwd.method,
    ...(fwd.tunnel ? { tunnel: fwd.tunnel } : {}),
    upperThreshold: r.upperThreshold,
    lowerThreshold: r.lowerThreshold,
    inhibitOnFailure: r.inhibit ?? d.inhibit,
    alpha: r.alpha ?? d.alpha ?? false,
    ...(r.notifyUp ? { notifyUp: r.notifyUp } : {}),
    ...(r.notifyDown ? { notifyDown: r.notifyDown } : {}),
    smtpAlert: r.smtpAlert ?? alerts.smtpAlertChecker ?? alerts.smtpAlert ?? true,
    ...(r.virtualhost ?? d.virtualhost ? { virtualhost: r.virtualhost ?? d.virtualhost } : {}),
    checkers,
    skippedCheckers: r.skipped,
  };
}

function resolveCheck(c: TcpCheckDraft, r: RealServerDraft, d: VirtualServerDraft, rsPort: number, sink: DiagnosticSink): TcpCheck | undefined {
  const connectIp = c.connectIp ?? r.address;
  const family = familyOf(connectIp);
  if (c.bindTo && familyOf(c.bindTo) !== family) {
    sink.error('FAMILY_MISMATCH', c.source, `TCP_CHECK bindto ${c.bindTo} and connect address ${connectIp} are of different families`);
    return undefined;
  }
  const connectPort = c.connectPort ?? rsPort;
  if (connectPort === 0) {
    sink.error('MISSING_PORT', c.source, `TCP_CHECK of real_server ${r.address} has no port to connect to`, 'add connect_port PORT');
    return undefined;
  }
  const delayLoop = c.delayLoop ?? r.delayLoop ?? d.delayLoop ?? LVS_DEFAULTS.delayLoop;
  return {
    type: 'TCP_CHECK',
    source: c.source,
    family,
    connectIp,
    connectPort,
    ...(c.bindTo ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort ? { bindPort: c.bindPort } : {}),
    ...(c.bindIf ? { bindIf: c.bindIf } : {}),
    ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}),
    connectTimeout: c.connectTimeout ?? r.connectTimeout ?? d.connectTimeout ?? LVS_DEFAULTS.connectTimeout,
    retry: c.retry ?? r.retry ?? d.retry ?? LVS_DEFAULTS.retry,
    delayBeforeRetry: c.delayBeforeRetry ?? r.delayBeforeRetry ?? d.delayBeforeRetry ?? LVS_DEFAULTS.delayBeforeRetry,
    warmup: c.warmup ?? r.warmup ?? d.warmup ?? delayLoop,
    delayLoop,
    alpha: c.alpha ?? r.alpha ?? d.alpha ?? false,
    logAllFailures: c.logAllFailures,
  };
}

function sorry(s: SorryDraft, family: Family, vsFwd: Forwarding, isFwmark: boolean, vsPort: number, sink: DiagnosticSink): { sorryServer?: SorryServer } {
  const fwd = s.forward ?? vsFwd;
  const f = familyOf(s.address);
  if (fwd.method !== 'tunnel' && f !== family) {
    sink.error('FAMILY_MISMATCH', s.source, `sorry_server ${s.address} is ${f} but its virtual server is ${family}`);
    return {};
  }
  const port = fixPort(s.port, fwd.method, isFwmark, vsPort, 'sorry_server', s.source, sink);
  return {
    sorryServer: { source: s.source, family: f, address: s.address, port, forward: fwd.method, ...(fwd.tunnel ? { tunnel: fwd.tunnel } : {}), inhibitOnFailure: s.inhibit },
  };
}
