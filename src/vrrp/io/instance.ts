// I/O edge: one running VRRP instance — the pure state machine driven by real timers and received adverts, its actions carried out through injected ports.
import type { VirtualIp, VrrpInstance } from '../../config/model.js';
import { fsmConfig } from '../timing.js';
import { initialState, masterDownInterval, step, TIMER_EVENTS, type FsmAction, type FsmEvent, type FsmState, type TimerKind } from '../fsm.js';
import { encode, passwordData, type AdvertInput } from '../packet.js';
import { validate, validationContext, type RejectReason } from '../validate.js';
import { VRRP_MCAST_GROUP4, type InboundPacket } from '../ip.js';
import type { TrackingSummary } from '../script-tracker.js';
import { reconfigure } from '../fsm-reconfigure.js';
import { NO_SPLIT_BRAIN, peerAdvert, splitBrainStep, type SplitBrainEvent, type SplitBrainState } from '../split-brain.js';

/** InstancePorts are what an instance does to the world; the manager wires them to sockets and rtnetlink, tests to fakes. */
export interface InstancePorts {
  /** send one VRRP message (without IP header) from `source` to `destination` */
  send(message: Buffer, source: string, destination: string): Promise<Error | undefined>;
  addAddresses(vips: readonly VirtualIp[]): Promise<void>;
  removeAddresses(vips: readonly VirtualIp[]): Promise<void>;
  /** one gratuitous ARP / unsolicited NA for each address */
  announce(vips: readonly VirtualIp[]): void;
  /** a state was entered (notify scripts, sync daemon, logs) */
  transition(from: FsmState, to: FsmState): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  now(): number;
  /** read what the socket already holds, synchronously (optional): asked before a timer acts */
  drainReceived?(): void;
  /** how long the process stood still (optional; StallMeter read at ports.now()): mark() now, since(mark) later */
  stalls?: { mark(): number; since(mark: number): number };
  /** a split brain started or ended (optional: logged once each by the manager) */
  splitBrain?(event: SplitBrainEvent): void;
}

/** HeardAdvert is the last advert an instance accepted: who sent it, with which priority, when (ports.now() clock). */
export interface HeardAdvert {
  readonly address: string;
  readonly priority: number;
  readonly at: number;
}

/** InstanceCounters are an instance's packet counts since start. */
export interface InstanceCounters {
  sent: number;
  sendErrors: number;
  received: number;
  dropped: Partial<Record<RejectReason | 'own', number>>;
  /** states entered (each notify), INIT -> BACKUP at start included; absent in older snapshots means 0 */
  transitions?: number;
}

/** InstanceRuntime runs one vrrp_instance: it owns the FSM state, the timers and an ordered queue of address changes. */
export class InstanceRuntime {
  private fsm: FsmState;
  private readonly timers = new Map<TimerKind, NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  private readonly lastWarn = new Map<string, number>();
  readonly counters: InstanceCounters = { sent: 0, sendErrors: 0, received: 0, dropped: {}, transitions: 0 };
  private cfg: VrrpInstance;
  private vipList: readonly VirtualIp[];
  private heard: HeardAdvert | undefined;
  private split: SplitBrainState = NO_SPLIT_BRAIN;
  /** set by a sync group: events go to the group, which steps every member (SyncGroupRuntime) */
  router: ((event: FsmEvent, now: number) => void) | undefined;

  constructor(
    config: VrrpInstance,
    /** this router's primary address: unicast_src_ip, mcast_src_ip or the interface's */
    readonly source: string,
    private readonly ports: InstancePorts,
    tracking: TrackingSummary = { weight: 0, faults: [] },
    private readonly mcastGroup = VRRP_MCAST_GROUP4,
    /** vrrp_startup_delay: no Master before this time (ports.now() clock) */
    delayedStartUntil?: number,
  ) {
    this.cfg = config;
    this.vipList = config.virtualIpAddresses;
    this.fsm = initialState(fsmConfig(config, source), tracking.weight, tracking.faults, delayedStartUntil);
  }

  /** config is the instance's configuration (replaced by reconfigure on reload). */
  get config(): VrrpInstance {
    return this.cfg;
  }

  /** vips are the instance's virtual addresses. */
  get vips(): readonly VirtualIp[] {
    return this.vipList;
  }

  /** lastAdvert is the last advert accepted from another router (the Master heard), if any. */
  get lastAdvert(): HeardAdvert | undefined {
    return this.heard;
  }

  /** splitBrain is the split-brain detector's state: another Master heard while this one is Master. */
  get splitBrain(): SplitBrainState {
    return this.split;
  }

  /**
   * reconfigure takes new settings of the same instance (SIGHUP) while keeping its state: the pure reconfigure step
   * (a Master advertises its new priority at once), and a Master swaps the virtual addresses that changed.
   */
  reconfigure(config: VrrpInstance): void {
    const key = (v: VirtualIp): string => JSON.stringify({ ...v, source: undefined });
    const before = this.vipList;
    const removed = before.filter((v) => !config.virtualIpAddresses.some((n) => key(n) === key(v)));
    const added = config.virtualIpAddresses.filter((v) => !before.some((o) => key(o) === key(v)));
    this.cfg = config;
    this.vipList = config.virtualIpAddresses;
    try {
      const r = reconfigure(this.fsm, fsmConfig(config, this.source), this.ports.now());
      this.apply(r.state, r.actions);
    } catch (err) {
      this.ports.warn(`${config.name}: reconfigure failed: ${(err as Error).message}`, { err });
    }
    if (this.fsm.state !== 'MASTER') return;
    if (removed.length > 0) this.enqueue(() => this.ports.removeAddresses(removed));
    if (added.length > 0) {
      this.enqueue(() => this.ports.addAddresses(added));
      this.enqueue(async () => this.ports.announce(added));
    }
  }

  /** state is the current FSM state (immutable). */
  get state(): FsmState {
    return this.fsm;
  }

  /** masterDownMs is the current Master_Down_Interval in ms. */
  get masterDownMs(): number {
    return masterDownInterval(this.fsm);
  }

  /** start runs the FSM's startup event. */
  start(): void {
    this.dispatch({ kind: 'startup' });
  }

  /** stop runs shutdown (a Master sends priority 0 and removes its addresses) and resolves when the actions are done. */
  async stop(): Promise<void> {
    this.dispatch({ kind: 'shutdown' });
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue;
  }

  /** idle resolves when queued address changes are done. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** dispatch applies one event now (through its sync group when it has one) and carries out the actions; never throws. */
  dispatch(event: FsmEvent, at?: number): void {
    try {
      const now = Math.max(this.ports.now(), at ?? 0);
      if (this.router) return this.router(event, now);
      const r = step(this.fsm, event, now);
      this.apply(r.state, r.actions);
    } catch (err) {
      this.ports.warn(`${this.config.name}: event ${event.kind} failed: ${(err as Error).message}`, { err });
    }
  }

  /** apply takes a new FSM state and carries out its actions (a sync group calls it for each member it stepped). */
  apply(next: FsmState, actions: readonly FsmAction[]): void {
    const before = this.fsm;
    this.fsm = next;
    for (const a of actions) this.act(a, before);
  }

  /** receive checks one packet addressed to this instance's VRID and feeds a valid advert to the FSM; a bad one is counted and dropped. */
  receive(packet: InboundPacket): void {
    const c = this.config;
    if (packet.source === this.source) {
      this.count('own');
      return;
    }
    const master = this.fsm.master;
    const checkAddresses = !(c.skipCheckAdvAddr && this.fsm.state === 'BACKUP' && master?.address === packet.source);
    const v = validate(packet, validationContext(c, checkAddresses));
    const peer = peerAdvert(packet, v, this.source);
    if (!v.ok) {
      if (peer) this.observeSplitBrain(peer);
      this.count(v.reason);
      this.warnOnce(`drop:${v.reason}`, `${c.name}: dropped advert from ${packet.source}: ${v.detail}`, { reason: v.reason, source: packet.source });
      return;
    }
    this.counters.received++;
    const a = v.advert;
    this.heard = { address: packet.source, priority: a.priority, at: this.ports.now() };
    this.dispatch({ kind: 'advert-received', priority: a.priority, source: packet.source, maxAdvertIntervalMs: a.version === 3 ? a.maxAdvertInterval * 10 : undefined });
    if (peer) this.observeSplitBrain(peer);
  }

  /** observeSplitBrain feeds the detector (after the FSM has acted on the advert) and reports a start or an end. */
  private observeSplitBrain(heard?: Parameters<typeof splitBrainStep>[4]): void {
    const r = splitBrainStep(this.split, this.fsm.state, this.fsm.config.advertIntervalMs, this.ports.now(), heard);
    this.split = r.state;
    if (r.event) this.ports.splitBrain?.(r.event);
  }

  /** track feeds a tracking change (weights, faults) to the FSM as its events. */
  track(events: readonly FsmEvent[]): void {
    for (const e of events) this.dispatch(e);
  }

  private count(reason: RejectReason | 'own'): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  private warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    const now = this.ports.now();
    const last = this.lastWarn.get(key);
    if (last !== undefined && now - last < 10_000) return;
    this.lastWarn.set(key, now);
    this.ports.warn(message, { instance: this.config.name, ...fields, dropped: this.counters.dropped });
  }

  private act(a: FsmAction, before: FsmState): void {
    switch (a.kind) {
      case 'send-advert':
        this.sendAdvert(a.priority);
        // a Master's adverts are the detector's clock: a silent peer ages out here
        if (this.split.peer) this.observeSplitBrain();
        break;
      case 'become-master': {
        const vips = this.vips;
        this.enqueue(() => this.ports.addAddresses(vips));
        break;
      }
      case 'become-backup': {
        const vips = this.vips;
        this.enqueue(() => this.ports.removeAddresses(vips));
        break;
      }
      case 'send-garp': {
        // after the addresses are in place, so that the LAN's replies find them
        const n = a.repeat;
        this.enqueue(async () => {
          for (let i = 0; i < n; i++) this.ports.announce(this.vips);
        });
        break;
      }
      case 'set-timer':
        this.setTimer(a.timer, a.at);
        break;
      case 'cancel-timer':
        clearTimeout(this.timers.get(a.timer));
        this.timers.delete(a.timer);
        break;
      case 'notify':
        this.counters.transitions = (this.counters.transitions ?? 0) + 1;
        this.ports.transition(before, this.fsm);
        if (this.split.peer) this.observeSplitBrain();
        break;
      case 'warning':
        this.ports.warn(a.message, { instance: this.config.name });
        break;
    }
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err: unknown) => this.ports.warn(`${this.config.name}: ${(err as Error).message}`, { instance: this.config.name, err }));
  }

  private setTimer(kind: TimerKind, at: number): void {
    clearTimeout(this.timers.get(kind));
    const mark = kind === 'master-down' ? this.ports.stalls?.mark() : undefined;
    const t = setTimeout(() => {
      // libuv runs due timers before it polls for I/O: after a stall (GC, a starved host) an advert that arrived
      // before this deadline can still sit in the socket. It is read first; if it re-armed or cancelled this timer
      // (RFC 5798 §6.4.2: an advert resets Master_Down_Timer), the timeout is stale and nothing happens
      this.ports.drainReceived?.();
      if (this.timers.get(kind) !== t) return;
      this.timers.delete(kind);
      const stalledMs = mark === undefined ? undefined : this.ports.stalls?.since(mark);
      this.dispatch(stalledMs ? { kind: 'master-down-timer-expired', stalledMs } : TIMER_EVENTS[kind], at);
    }, Math.max(0, at - this.ports.now()));
    this.timers.set(kind, t);
  }

  private advert(priority: number): AdvertInput {
    const c = this.config;
    const addresses = this.vips.filter((v) => v.family === c.family).map((v) => v.address);
    if (c.version === 2) {
      const pass = c.authentication?.type === 'PASS';
      return { version: 2, vrid: c.virtualRouterId, priority, family: c.family, addresses, authType: pass ? 1 : 0, advertInterval: Math.max(1, Math.round(c.advertInt)), authData: pass ? passwordData(c.authentication?.password ?? '') : undefined };
    }
    return { version: 3, vrid: c.virtualRouterId, priority, family: c.family, addresses, maxAdvertInterval: Math.max(1, Math.round(c.advertInt * 100)) };
  }

  private sendAdvert(priority: number): void {
    const c = this.config;
    const destinations = c.unicastPeers.length > 0 ? c.unicastPeers.map((p) => p.address) : [c.mcastDstIp ?? this.mcastGroup];
    const advert = this.advert(priority);
    for (const destination of destinations) {
      let message: Buffer;
      try {
        message = encode(advert, { source: this.source, destination });
      } catch (err) {
        this.warnOnce('encode', `${c.name}: cannot encode advert: ${(err as Error).message}`, {});
        return;
      }
      void this.ports.send(message, this.source, destination).then((err) => {
        if (!err) {
          this.counters.sent++;
          return;
        }
        this.counters.sendErrors++;
        this.warnOnce(`send:${err.message}`, `${c.name}: advert to ${destination} not sent: ${err.message}`, { destination });
      });
    }
  }
}
