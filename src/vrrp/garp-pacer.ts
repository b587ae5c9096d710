// VRRP layer (pure): spacing of gratuitous ARPs and unsolicited NAs on one interface (keepalived's vrrp_garp_interval / vrrp_gna_interval); time is an argument (ms).

/** PacerKind tells gratuitous ARPs (IPv4) from unsolicited neighbour advertisements (IPv6); each has its own spacing. */
export type PacerKind = 'garp' | 'gna';

/**
 * GarpPacer spaces the link-layer announcements sent on each interface: keepalived keeps, per interface, the time
 * the next GARP (and, separately, the next NA) may leave (garp_next_time); a send earlier than that is queued until
 * then, and each send moves that time on by the interval. An interval of 0 sends everything at once.
 */
export class GarpPacer {
  private readonly next = new Map<string, number>();

  constructor(
    /** ms between two GARPs on one interface (vrrp_garp_interval × 1000) */
    private readonly garpIntervalMs: number,
    /** ms between two unsolicited NAs on one interface (vrrp_gna_interval × 1000) */
    private readonly gnaIntervalMs: number,
  ) {}

  /**
   * reserve books `count` announcements of `kind` on interface `iface` asked for at `now` and returns when each may
   * be sent (ms, in order; `now` itself when the interface is free and unpaced).
   */
  reserve(iface: string, kind: PacerKind, count: number, now: number): number[] {
    const interval = kind === 'garp' ? this.garpIntervalMs : this.gnaIntervalMs;
    if (!(interval > 0)) return Array.from({ length: count }, () => now);
    const key = `${kind} ${iface}`;
    let at = Math.max(now, this.next.get(key) ?? now);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      times.push(at);
      at += interval;
    }
    this.next.set(key, at);
    return times;
  }
}
