// I/O edge: a VRRP instance's addresses on the host — VIPs added and removed through rtnetlink, gratuitous ARP / unsolicited NA paced per interface.
import type { VirtualIp, VrrpInstance } from '../../config/model.js';
import type { Logger } from '../../daemon/log.js';
import { IFA_F_NODAD } from '../../netlink/rtnl.js';
import { GarpPacer } from '../garp-pacer.js';
import type { LinkSender } from './garp.js';
import { vipSpec, type HostNet, type NetInterface } from './net.js';

/** VipHost is what VipOps needs of the manager: the rtnetlink and AF_PACKET handles (once open), the interfaces, whether an instance is Master. */
export interface VipHost {
  net(): HostNet | undefined;
  link(): LinkSender | undefined;
  device(inst: VrrpInstance, vip: VirtualIp): NetInterface | undefined;
  isMaster(instance: string): boolean;
  now(): number;
}

/** VipOps adds and removes an instance's VIPs and announces them, spacing announcements per vrrp_garp_interval / vrrp_gna_interval. */
export class VipOps {
  private pacer: GarpPacer;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly host: VipHost, private readonly log: Logger, garpIntervalMs: number, gnaIntervalMs: number) {
    this.pacer = new GarpPacer(garpIntervalMs, gnaIntervalMs);
  }

  /** setPacing takes new vrrp_garp_interval / vrrp_gna_interval values (on reload). */
  setPacing(garpIntervalMs: number, gnaIntervalMs: number): void {
    this.pacer = new GarpPacer(garpIntervalMs, gnaIntervalMs);
  }

  /** addresses adds (or removes) each VIP on its device; failures are logged per address, never thrown. */
  async addresses(inst: VrrpInstance, vips: readonly VirtualIp[], add: boolean): Promise<void> {
    const net = this.host.net();
    if (!net) return;
    for (const vip of vips) {
      const dev = this.host.device(inst, vip);
      const base = dev ? vipSpec(vip, dev.index) : undefined;
      // IPv6 VIPs skip duplicate address detection (keepalived's IFA_F_NODAD): a tentative VIP would take no traffic for a second or more
      const spec = base?.family === 'inet6' ? { ...base, flags: (base.flags ?? 0) | IFA_F_NODAD } : base;
      if (!dev || !spec) {
        this.log.error({ event: 'vip-failed', instance: inst.name, vip: vip.address }, `${inst.name}: no device for ${vip.address}`);
        continue;
      }
      try {
        const changed = add ? await net.addAddress(spec) : await net.delAddress(spec);
        if (changed) this.log.info({ event: add ? 'vip-added' : 'vip-removed', instance: inst.name, vip: `${vip.address}/${vip.prefix}`, dev: dev.name }, `${inst.name}: ${add ? 'added' : 'removed'} ${vip.address}/${vip.prefix} ${add ? 'to' : 'from'} ${dev.name}`);
      } catch (err) {
        this.log.error({ event: 'vip-failed', instance: inst.name, vip: vip.address, dev: dev.name, err }, `${inst.name}: ${add ? 'adding' : 'removing'} ${vip.address}: ${(err as Error).message}`);
      }
    }
  }

  /** announce sends a GARP / unsolicited NA for each address, spaced per interface by vrrp_garp_interval / vrrp_gna_interval. */
  announce(inst: VrrpInstance, vips: readonly VirtualIp[]): void {
    const t = this.host.now();
    for (const vip of vips) {
      const dev = this.host.device(inst, vip);
      if (!dev?.mac || !this.host.link()) continue;
      const [at] = this.pacer.reserve(dev.name, vip.family === 'inet6' ? 'gna' : 'garp', 1, t);
      const send = (): void => {
        const err = this.host.link()?.announce(dev.index, dev.mac!, vip.address);
        if (err) this.log.warn({ event: 'garp-failed', instance: inst.name, vip: vip.address, dev: dev.name, err: err.message }, `${inst.name}: gratuitous ARP for ${vip.address}: ${err.message}`);
      };
      if (at === undefined || at <= t) {
        send();
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        // a queued announcement is for a Master: one that has stepped down since must not pull the traffic back
        if (this.host.isMaster(inst.name)) send();
      }, at - t);
      this.timers.add(timer);
    }
  }

  /** cancel drops the announcements still queued (on stop). */
  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
