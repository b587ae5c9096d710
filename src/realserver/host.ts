// Realserver layer (edge): reads a host snapshot through rtnetlink and /proc, and carries out one action.
import { constants } from 'node:os';
import { AF_INET, AF_INET6, IFF_LOOPBACK, IFF_UP, type RtAddress, type RtAddressSpec, type RtLink } from '../netlink/rtnl.js';
import { RequestFailure } from '../netlink/session.js';
import { addressFromBytes, addressToBytes } from '../util/addr.js';
import { RealserverError } from './errors.js';
import type { Action, HostAddress, HostLink, HostSnapshot } from './model.js';
import { describeAction } from './render.js';
import { CONF_KEYS, confName, parseDefaultRoutes, type ProcPort } from './sysctl.js';

/** NetPort is the rtnetlink side of the host (RtnlClient, or a fake in tests). */
export interface NetPort {
  links(): Promise<RtLink[]>;
  addresses(): Promise<RtAddress[]>;
  addAddress(a: RtAddressSpec): Promise<void>;
  delAddress(a: RtAddressSpec): Promise<void>;
  close(): void;
}

/** errnoName is the symbolic name of an errno (17 → "EEXIST"). */
export function errnoName(errno: number): string {
  const hit = Object.entries(constants.errno).find(([, v]) => v === errno);
  return hit ? hit[0] : `errno ${errno}`;
}

/** kernelError turns a failure of the host into a RealserverError that says what to do. */
export function kernelError(err: unknown, what: string): RealserverError {
  if (err instanceof RealserverError) return err;
  const errno = err instanceof RequestFailure ? err.errno : undefined;
  const code = (err as NodeJS.ErrnoException).code;
  // rtnetlink refuses a caller without CAP_NET_ADMIN with EPERM; /proc/sys refuses a non-root writer with EACCES
  if (errno === 1 || (errno === undefined && (code === 'EPERM' || code === 'EACCES'))) {
    return new RealserverError('RS_NOT_ROOT', `${what}: permission denied — lvsd realserver up and down must run as root (they change addresses on lo and sysctls under /proc/sys)`);
  }
  if (errno === 13) return new RealserverError('RS_KERNEL', `${what}: refused by the kernel (EACCES): is IPv6 disabled on the interface (net.ipv6.conf.lo.disable_ipv6=1)?`);
  if (errno === 97) return new RealserverError('RS_KERNEL', `${what}: IPv6 is disabled on this host (EAFNOSUPPORT); drop the IPv6 VIPs or enable IPv6`);
  const why = errno !== undefined ? errnoName(errno) : ((err as Error).message ?? String(err));
  return new RealserverError('RS_KERNEL', `${what}: ${why}`);
}

/** toHostLinks converts rtnetlink links. */
export function toHostLinks(links: readonly RtLink[]): HostLink[] {
  return links.map((l) => ({ index: l.index, name: l.name, loopback: (l.flags & IFF_LOOPBACK) !== 0, up: (l.flags & IFF_UP) !== 0 }));
}

/** toHostAddresses converts rtnetlink IPv4 and IPv6 addresses, naming each one's interface. */
export function toHostAddresses(addrs: readonly RtAddress[], links: readonly HostLink[]): HostAddress[] {
  const names = new Map(links.map((l) => [l.index, l.name]));
  const out: HostAddress[] = [];
  for (const a of addrs) {
    const family = a.family === AF_INET ? 'inet' : a.family === AF_INET6 ? 'inet6' : undefined;
    if (!family || a.bytes.length !== (family === 'inet' ? 4 : 16)) continue;
    out.push({ family, address: addressFromBytes(family, a.bytes), prefix: a.prefix, index: a.index, interface: names.get(a.index) ?? `if${a.index}`, label: family === 'inet' ? a.label : undefined, flags: a.flags });
  }
  return out;
}

/**
 * readSnapshot reads links and addresses over rtnetlink, the IPv4 settings lvsd checks on `all` and every
 * interface (plus any other /proc/sys paths asked for, e.g. those of the state file) and the default routes.
 */
export async function readSnapshot(net: NetPort, proc: ProcPort, extraSysctls: readonly string[] = []): Promise<HostSnapshot> {
  let rtLinks: RtLink[];
  let rtAddrs: RtAddress[];
  try {
    rtLinks = await net.links();
    rtAddrs = await net.addresses();
  } catch (err) {
    throw kernelError(err, 'reading interfaces and addresses over rtnetlink');
  }
  const links = toHostLinks(rtLinks);
  const names = new Set<string>(extraSysctls);
  for (const iface of ['all', ...links.map((l) => l.name)]) for (const key of CONF_KEYS) names.add(confName(iface, key));
  const sysctls: Record<string, string> = {};
  for (const name of names) {
    const v = proc.read(`sys/${name}`);
    if (v !== undefined) sysctls[name] = v.trim();
  }
  return { links, addresses: toHostAddresses(rtAddrs, links), sysctls, defaultRouteInterfaces: parseDefaultRoutes(proc.read('net/route') ?? '') };
}

/** actionSpec is the rtnetlink form of an address action. */
export function actionSpec(a: Extract<Action, { kind: 'add-address' | 'del-address' }>): RtAddressSpec {
  const bytes = addressToBytes(a.family, a.address);
  if (a.kind === 'del-address') return { family: a.family, index: a.index, bytes, prefix: a.prefix };
  return { family: a.family, index: a.index, bytes, prefix: a.prefix, label: a.label, flags: a.flags, preferredLft: a.preferredLft };
}

/**
 * applyAction carries out one action and says whether it changed the host: an address someone added in the
 * meantime (EEXIST) or deleted in the meantime (EADDRNOTAVAIL) is 'unchanged'; failures are RealserverError.
 */
export async function applyAction(net: NetPort, proc: ProcPort, a: Action): Promise<'changed' | 'unchanged'> {
  try {
    if (a.kind === 'set-sysctl') proc.write(`sys/${a.name}`, a.to);
    else if (a.kind === 'add-address') await net.addAddress(actionSpec(a));
    else await net.delAddress(actionSpec(a));
    return 'changed';
  } catch (err) {
    if (err instanceof RequestFailure && ((a.kind === 'add-address' && err.errno === 17) || (a.kind === 'del-address' && err.errno === 99))) return 'unchanged';
    throw kernelError(err, describeAction(a));
  }
}
