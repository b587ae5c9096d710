// I/O edge: the host's IPv6 addresses and their DAD state as VRRP sources — kept by RTNLGRP_IPV6_IFADDR events, re-read by a dump after a link comes up and while a source still waits for DAD.
import { addrState, addrTable, applyAddrEvent, canonicalIPv6, sourceState, type AddrEvent, type AddrState, type AddrTable } from '../source-address.js';

/** AddressDumpPort reads every IPv6 address of the host with its IFA_F_* flags (HostNet; tests pass a fake). */
export interface AddressDumpPort {
  ipv6Addresses(): Promise<Omit<AddrEvent, 'kind'>[]>;
}

/** SourceChange is a watched address whose state changed on one interface. */
export interface SourceChange {
  readonly index: number;
  readonly address: string;
  readonly from: AddrState;
  readonly to: AddrState;
}

/** SourceWatchOptions are the re-read pacing after a link comes up: every `retryMs` while a watched source is not usable, at most `retries` times. */
export interface SourceWatchOptions {
  readonly retryMs?: number;
  readonly retries?: number;
}

/**
 * SourceAddresses keeps the IPv6 address table VRRP decides on and reports the changes of watched addresses (the
 * instances' sources). Events carry most changes; a dump after a link comes up catches what the kernel changes
 * without announcing it (an address kept across link down is made tentative again silently).
 */
export class SourceAddresses {
  private table: AddrTable = new Map();
  private timer: NodeJS.Timeout | undefined;
  private dumping = false;
  private left = 0;
  private stopped = false;

  constructor(
    private readonly port: AddressDumpPort,
    /** the instances' source addresses (any form) */
    private readonly watched: () => readonly string[],
    private readonly onChange: (c: SourceChange) => void,
    private readonly onError: (err: Error) => void,
    private readonly options: SourceWatchOptions = {},
  ) {}

  /** load reads the table (at start; no change reported). */
  async load(): Promise<void> {
    this.table = addrTable(await this.port.ipv6Addresses());
  }

  /** state is a source address's state on interface `ifindex` (see sourceState). */
  state(source: string, ifindex: number | undefined): AddrState {
    return sourceState(this.table, source, ifindex);
  }

  /** event takes one announced address change; a watched address whose state changed is reported. */
  event(e: AddrEvent): void {
    const step = applyAddrEvent(this.table, e);
    this.table = step.table;
    if (step.before !== step.after && this.isWatched(e.address)) this.onChange({ index: e.index, address: e.address, from: step.before, to: step.after });
  }

  /** resync re-reads the table now (a link came up; resolves after this first read), then again every retryMs while a watched source is not usable. */
  resync(): Promise<void> {
    this.left = this.options.retries ?? 20;
    return this.dump();
  }

  private async dump(): Promise<void> {
    if (this.stopped || this.dumping) return;
    this.dumping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const next = addrTable(await this.port.ipv6Addresses());
      if (this.stopped) return;
      const before = this.table;
      this.table = next;
      for (const k of new Set([...before.keys(), ...next.keys()])) {
        const address = k.slice(k.indexOf(' ') + 1);
        if (!this.isWatched(address)) continue;
        const [from, to] = [before.get(k), next.get(k)].map((f) => (f === undefined ? 'missing' : addrState(f))) as [AddrState, AddrState];
        if (from !== to) this.onChange({ index: Number(k.slice(0, k.indexOf(' '))), address, from, to });
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.dumping = false;
    }
    const waiting = this.watched().some((w) => this.state(w, undefined) !== 'usable');
    if (waiting && --this.left > 0 && !this.stopped) this.timer = setTimeout(() => void this.dump(), this.options.retryMs ?? 500);
  }

  private isWatched(address: string): boolean {
    return this.watched().some((w) => canonicalIPv6(w) === address);
  }

  /** stop ends the re-reads. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
