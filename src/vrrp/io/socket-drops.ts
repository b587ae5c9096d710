// I/O edge: what a VRRP socket drops before any instance sees it — datagrams whose IP framing is unusable, adverts for a VRID no instance on that interface runs.
import type { Logger } from '../../daemon/log.js';

/** SocketDrops is one VRRP socket's drops: by interface and family, malformed framing and unknown VRIDs. */
export interface SocketDrops {
  readonly interface: string;
  readonly family: 'inet' | 'inet6';
  readonly malformed: number;
  readonly unknownVrid: number;
}

/** UnknownVridCounter counts packets for VRIDs no instance runs, per socket, logging each (interface, VRID) at most once per 10 s. */
export class UnknownVridCounter {
  private readonly counts = new Map<string, number>();
  private readonly lastLog = new Map<string, number>();

  constructor(private readonly log: Logger, private readonly now: () => number) {}

  /** count records one packet for `vrid` on the socket `key` ("family interface") from `source`. */
  count(key: string, vrid: number | undefined, source: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const logKey = `${key} ${vrid}`;
    const t = this.now();
    const last = this.lastLog.get(logKey);
    if (last !== undefined && t - last < 10_000) return;
    this.lastLog.set(logKey, t);
    const [family, iface] = key.split(' ');
    this.log.info({ event: 'vrrp-unknown-vrid', interface: iface || undefined, family, vrid, source, dropped: this.counts.get(key) }, `VRRP packet for VRID ${vrid} from ${source} on ${iface || 'any interface'}: no instance runs it here; dropped`);
  }

  /** of is how many packets the socket `key` dropped for unknown VRIDs. */
  of(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
