// Config layer (model): the zod schema every model is validated against before it is frozen and handed out.
import { z } from 'zod';
import { parseAddress } from '../util/addr.js';
import type { Model } from './model.js';

const address = z.string().refine((s) => parseAddress(s) !== undefined, 'not an IP address');
const family = z.enum(['inet', 'inet6']);
const protocol = z.enum(['tcp', 'udp', 'sctp']);
const forward = z.enum(['route', 'masq', 'tunnel', 'local', 'bypass']);
const port = z.number().int().min(0).max(65535);
const u32 = z.number().int().min(0).max(4294967295);
const seconds = z.number().min(0);
const source = z.object({ file: z.string(), line: z.number().int().min(1), column: z.number().int().min(1) });
const script = z.object({ argv: z.array(z.string()).min(1), user: z.string().optional(), group: z.string().optional() });
const tunnel = z.object({ type: z.enum(['ipip', 'gue', 'gre']), port, flags: z.array(z.enum(['nocsum', 'csum', 'remcsum'])) });

const serviceKey = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('addr'), family, protocol, address, port }),
  z.object({ kind: z.literal('fwmark'), family, fwmark: u32.min(1) }),
]);

const tcpCheck = z.object({
  type: z.literal('TCP_CHECK'),
  source,
  family,
  connectIp: address,
  connectPort: port.min(1),
  bindTo: address.optional(),
  bindPort: port.optional(),
  bindIf: z.string().optional(),
  fwmark: u32.optional(),
  connectTimeout: seconds.positive(),
  retry: u32,
  delayBeforeRetry: seconds,
  warmup: seconds,
  delayLoop: seconds.positive(),
  alpha: z.boolean(),
  logAllFailures: z.boolean(),
});

const realServer = z.object({
  source,
  family,
  address,
  port,
  weight: z.number().int().min(0).max(65535),
  forward,
  tunnel: tunnel.optional(),
  upperThreshold: u32,
  lowerThreshold: u32,
  inhibitOnFailure: z.boolean(),
  alpha: z.boolean(),
  notifyUp: script.optional(),
  notifyDown: script.optional(),
  smtpAlert: z.boolean(),
  virtualhost: z.string().optional(),
  checkers: z.array(tcpCheck),
  skippedCheckers: z.array(z.object({ type: z.string(), source })),
});

const virtualServer = z.object({
  name: z.string(),
  source,
  declared: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('addr'), address, port }),
    z.object({ kind: z.literal('fwmark'), fwmark: u32.min(1) }),
    z.object({ kind: z.literal('group'), name: z.string() }),
  ]),
  family,
  protocol: protocol.optional(),
  services: z.array(serviceKey).min(1),
  scheduler: z.string().min(1),
  schedFlags: z.array(z.union([z.literal(1), z.literal(2), z.literal(3)])),
  onePacket: z.boolean(),
  persistence: z.object({ timeout: u32.min(1), netmask: z.number().int().min(0).max(128) }).optional(),
  persistenceEngine: z.string().optional(),
  forward,
  tunnel: tunnel.optional(),
  delayLoop: seconds.positive(),
  quorum: u32,
  hysteresis: u32,
  quorumUp: script.optional(),
  quorumDown: script.optional(),
  alpha: z.boolean(),
  omega: z.boolean(),
  haSuspend: z.boolean(),
  inhibitOnFailure: z.boolean(),
  smtpAlert: z.boolean(),
  virtualhost: z.string().optional(),
  sorryServer: z
    .object({ source, family, address, port, forward, tunnel: tunnel.optional(), inhibitOnFailure: z.boolean() })
    .optional(),
  realServers: z.array(realServer).min(1),
});

const groupEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('range'), family, first: address, last: address, port, source }),
  z.object({ kind: z.literal('fwmark'), fwmark: u32.min(1), family: family.optional(), source }),
]);

const tracked = z.object({ name: z.string(), weight: z.number().int().min(-254).max(254), reverse: z.boolean() });
const notify = z.object({ master: script.optional(), backup: script.optional(), fault: script.optional(), stop: script.optional(), any: script.optional() });

const vip = z.object({
  source,
  family,
  address,
  prefix: z.number().int().min(0).max(128),
  broadcast: address.optional(),
  dev: z.string().optional(),
  label: z.string().optional(),
  scope: z.string().optional(),
  peer: address.optional(),
  noTrack: z.boolean(),
});

const vrrpInstance = z.object({
  name: z.string(),
  source,
  state: z.enum(['MASTER', 'BACKUP']),
  interface: z.string().optional(),
  family,
  virtualRouterId: z.number().int().min(1).max(255),
  priority: z.number().int().min(1).max(255),
  advertInt: seconds.positive(),
  version: z.union([z.literal(2), z.literal(3)]),
  preempt: z.boolean(),
  preemptDelay: seconds,
  authentication: z.object({ type: z.enum(['PASS', 'AH']), password: z.string().max(8) }).optional(),
  virtualIpAddresses: z.array(vip),
  virtualIpAddressesExcluded: z.array(vip),
  mcastSrcIp: address.optional(),
  unicastSrcIp: address.optional(),
  mcastDstIp: address.optional(),
  unicastPeers: z.array(z.object({ address, family, minTtl: z.number().int().min(0).max(255), maxTtl: z.number().int().min(0).max(255) })),
  unicastTtl: z.number().int().min(0).max(255).optional(),
  trackScripts: z.array(tracked),
  trackInterfaces: z.array(tracked),
  dontTrackPrimary: z.boolean(),
  notify,
  garp: z.object({
    masterDelay: seconds,
    masterRepeat: u32,
    masterRefresh: seconds,
    masterRefreshRepeat: u32,
    lowerPrioDelay: seconds,
    lowerPrioRepeat: u32,
  }),
  smtpAlert: z.boolean(),
  accept: z.boolean().optional(),
  strictMode: z.boolean(),
  skipCheckAdvAddr: z.boolean(),
  checkUnicastSrc: z.boolean(),
  promoteSecondaries: z.boolean(),
  downTimerAdverts: z.number().int().min(1).max(100),
  lowerPrioNoAdvert: z.boolean(),
  higherPrioSendAdvert: z.boolean(),
});

const vrrpGlobals = z.object({
  version: z.union([z.literal(2), z.literal(3)]),
  mcastGroup4: address,
  mcastGroup6: address,
  garpMasterDelay: seconds,
  garpMasterRepeat: u32,
  garpMasterRefresh: seconds,
  garpMasterRefreshRepeat: u32,
  garpLowerPrioDelay: seconds,
  garpLowerPrioRepeat: u32,
  garpInterval: seconds,
  gnaInterval: seconds,
  downTimerAdverts: z.number().int().min(1).max(100),
  lowerPrioNoAdvert: z.boolean(),
  higherPrioSendAdvert: z.boolean(),
  strict: z.boolean(),
  checkUnicastSrc: z.boolean(),
  skipCheckAdvAddr: z.boolean(),
  startupDelay: seconds,
});

const globalDefs = z.object({
  routerId: z.string().optional(),
  scriptUser: z.object({ user: z.string(), group: z.string().optional() }).optional(),
  enableScriptSecurity: z.boolean(),
  lvsTimeouts: z.object({ tcp: u32.optional(), tcpFin: u32.optional(), udp: u32.optional() }).optional(),
  lvsFlush: z.boolean(),
  lvsFlushOnStop: z.enum(['none', 'all', 'vs']),
  lvsSyncDaemon: z
    .object({
      interface: z.string(),
      instance: z.string().optional(),
      syncId: z.number().int().min(0).max(255).optional(),
      maxLen: z.number().int().min(1).optional(),
      port: port.optional(),
      ttl: z.number().int().min(1).max(255).optional(),
      group: address.optional(),
    })
    .optional(),
  notificationEmail: z.array(z.string()),
  notificationEmailFrom: z.string().optional(),
  smtpServer: z.object({ host: z.string(), port }).optional(),
  smtpConnectTimeout: seconds.optional(),
  smtpHeloName: z.string().optional(),
  vrrp: vrrpGlobals,
});

/** ModelSchema validates a complete Model; its output type is checked against the Model interface. */
export const ModelSchema: z.ZodType<Model> = z.object({
  files: z.array(z.string()).min(1),
  global: globalDefs,
  virtualServerGroups: z.array(z.object({ name: z.string(), source, entries: z.array(groupEntry) })),
  virtualServers: z.array(virtualServer),
  vrrp: z.object({
    scripts: z.array(
      z.object({
        name: z.string(),
        source,
        script,
        interval: seconds.positive(),
        timeout: seconds.positive(),
        weight: z.number().int().min(-253).max(253),
        weightReverse: z.boolean(),
        rise: z.number().int().min(1),
        fall: z.number().int().min(1),
        initFail: z.boolean(),
      }),
    ),
    instances: z.array(vrrpInstance),
    syncGroups: z.array(
      z.object({
        name: z.string(),
        source,
        instances: z.array(z.string()),
        trackScripts: z.array(tracked),
        trackInterfaces: z.array(tracked),
        notify,
        smtpAlert: z.boolean(),
        trackingWeight: z.boolean(),
      }),
    ),
  }),
});

/** deepFreeze freezes an object graph in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
