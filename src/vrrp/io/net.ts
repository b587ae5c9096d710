// I/O edge: what VRRP needs of the host's network through rtnetlink — interfaces (index, MAC, primary address, up), link and IPv6 address state events, and virtual addresses added and removed.
import { createRequire } from 'node:module';
import type { VirtualIp } from '../../config/model.js';
import { decodeLink, IFF_UP, NETLINK_ROUTE, RTM_NEWLINK, type RtAddressSpec } from '../../netlink/rtnl.js';
import { RtnlClient } from '../../netlink/rtnl-client.js';
import { splitMessages } from '../../netlink/message.js';
import { addressFromBytes, parseAddress, type IpFamily } from '../../util/addr.js';
import { decodeAddrEvent, RTNLGRP_IPV6_IFADDR, type AddrEvent } from '../source-address.js';

/** IFF_RUNNING is the link flag "operationally up" (carrier), set with IFF_UP on a working link. */
export const IFF_RUNNING = 0x40;
/** RTNLGRP_LINK is the rtnetlink multicast group of link changes. */
export const RTNLGRP_LINK = 1;
const RTM_DELLINK = 17;

/** NetInterface is one interface as VRRP sees it. */
export interface NetInterface {
  readonly index: number;
  readonly name: string;
  readonly mac: Buffer | undefined;
  /** IFF_UP and IFF_RUNNING */
  readonly up: boolean;
  /** the first address of each family (the primary one), if any */
  readonly primary: Partial<Record<IpFamily, string>>;
}

/** SCOPES maps `scope` words of virtual_ipaddress to rtnetlink scope numbers (iproute2's rt_scopes). */
export const SCOPES: Readonly<Record<string, number>> = Object.freeze({ global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 });

/** vipSpec turns a virtual address into an rtnetlink address for interface `index`; undefined for an unparsable address. */
export function vipSpec(vip: VirtualIp, index: number): RtAddressSpec | undefined {
  const p = parseAddress(vip.address);
  if (!p) return undefined;
  const scope = vip.scope === undefined ? undefined : (SCOPES[vip.scope] ?? (Number.isInteger(Number(vip.scope)) ? Number(vip.scope) : undefined));
  return { family: p.family, index, bytes: p.bytes, prefix: vip.prefix, label: p.family === 'inet' ? vip.label : undefined, scope };
}

/**
 * HostNet reads interfaces and adds or removes addresses over one NETLINK_ROUTE socket, one request at a time (the
 * kernel refuses a second dump on the socket with EBUSY). An address already there (EEXIST) or already gone
 * (EADDRNOTAVAIL) is not an error: no dump is needed before a change, which keeps a new Master's VIPs fast.
 */
export class HostNet {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly rtnl: RtnlClient) {}

  /** serial runs one job after the ones before it have ended. */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** open opens the rtnetlink socket. */
  static open(): HostNet {
    return new HostNet(RtnlClient.open());
  }

  /** interfaces lists every interface with its primary addresses. */
  async interfaces(): Promise<Map<string, NetInterface>> {
    const { links, addrs } = await this.serial(async () => ({ links: await this.rtnl.links(), addrs: await this.rtnl.addresses() }));
    const out = new Map<string, NetInterface>();
    for (const l of links) {
      const primary: Partial<Record<IpFamily, string>> = {};
      for (const a of addrs) {
        if (a.index !== l.index) continue;
        const fam: IpFamily | undefined = a.family === 2 ? 'inet' : a.family === 10 ? 'inet6' : undefined;
        // secondaries (IFA_F_SECONDARY) are never primary; an IPv6 primary is the link-local one keepalived uses
        if (!fam || (a.flags & 0x01) !== 0 || primary[fam] !== undefined) continue;
        if (fam === 'inet6' && !(a.bytes[0] === 0xfe && ((a.bytes[1] as number) & 0xc0) === 0x80)) continue;
        primary[fam] = addressFromBytes(fam, a.bytes);
      }
      out.set(l.name, { index: l.index, name: l.name, mac: l.mac, up: (l.flags & IFF_UP) !== 0 && (l.flags & IFF_RUNNING) !== 0, primary });
    }
    return out;
  }

  /** ipv6Addresses lists every IPv6 address of the host with its IFA_F_* flags (tentative, DAD failed…). */
  async ipv6Addresses(): Promise<Omit<AddrEvent, 'kind'>[]> {
    const addrs = await this.serial(() => this.rtnl.addresses());
    return addrs.filter((a) => a.family === 10 && a.bytes.length === 16).map((a) => ({ index: a.index, address: addressFromBytes('inet6', a.bytes), flags: a.flags }));
  }

  /** addAddress adds an address; true when added, false when it was there already; throws other kernel errors. */
  addAddress(spec: RtAddressSpec): Promise<boolean> {
    return this.serial(async () => {
      try {
        await this.rtnl.addAddress(spec);
        return true;
      } catch (err) {
        if ((err as { errno?: number }).errno === 17 || /EEXIST|exists/i.test(String((err as Error).message))) return false;
        throw err;
      }
    });
  }

  /** delAddress removes an address; false when it was not there. */
  delAddress(spec: RtAddressSpec): Promise<boolean> {
    return this.serial(async () => {
      try {
        await this.rtnl.delAddress(spec);
        return true;
      } catch (err) {
        if ((err as { errno?: number }).errno === 99 || /EADDRNOTAVAIL|assign/i.test(String((err as Error).message))) return false;
        throw err;
      }
    });
  }

  /** close releases the socket. */
  close(): void {
    this.rtnl.close();
  }
}

interface GroupSocket {
  on(ev: 'message', h: (msg: Buffer) => void): void;
  on(ev: 'error', h: (err: Error) => void): void;
  addMembership(group: number): void;
  close(): void;
}

/** LinkWatch reports link up/down changes (RTNLGRP_LINK) and, given `onAddr`, IPv6 address changes (RTNLGRP_IPV6_IFADDR) as rtnetlink announces them, with no polling. */
export class LinkWatch {
  private readonly sock: GroupSocket;

  constructor(onLink: (name: string, index: number, up: boolean) => void, onError: (err: Error) => void, onAddr?: (e: AddrEvent) => void) {
    const require = createRequire(import.meta.url);
    const { RawNetlinkSocket } = require('netlink/dist/raw.js') as { RawNetlinkSocket: new (p: number, o: object) => GroupSocket };
    this.sock = new RawNetlinkSocket(NETLINK_ROUTE, { messagePeeking: false, msgBufferSize: 65536, recvBufferSize: 1 << 20 });
    this.sock.addMembership(RTNLGRP_LINK);
    if (onAddr) this.sock.addMembership(RTNLGRP_IPV6_IFADDR);
    this.sock.on('error', onError);
    this.sock.on('message', (buf) => {
      try {
        for (const m of splitMessages(buf)) {
          const a = onAddr ? decodeAddrEvent(buf, m) : undefined;
          if (a) {
            onAddr?.(a);
            continue;
          }
          if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
          const l = decodeLink(buf, m);
          onLink(l.name, l.index, m.type === RTM_NEWLINK && (l.flags & IFF_UP) !== 0 && (l.flags & IFF_RUNNING) !== 0);
        }
      } catch (err) {
        onError(err as Error);
      }
    });
  }

  /** close stops the watch. */
  close(): void {
    this.sock.close();
  }
}
