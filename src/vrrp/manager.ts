// Daemon layer: the VRRP manager — every vrrp_instance of the configuration running on raw sockets with real timers, VIPs through rtnetlink, GARP, scripts, notify and the IPVS sync daemon.
import type { Model, VirtualIp, VrrpInstance, VrrpSyncGroup } from '../config/model.js';
import type { Logger } from '../daemon/log.js';
import type { Launcher } from '../health/launcher.js';
import { ScriptRunner, type ScriptRunnerLike } from '../health/scripts.js';
import type { ApplyFailure } from '../ipvs/client.js';
import type { IpvsOp } from '../ipvs/types.js';
import type { FsmState } from './fsm.js';
import { trackingEvents, type TrackingSummary, type TrackStatus } from './script-tracker.js';
import { LinkSender } from './io/garp.js';
import { InstanceRuntime } from './io/instance.js';
import { instanceStatus, type InstanceStatus } from './io/instance-status.js';
import { planVrrpReload, type VrrpReloadPlan } from './reload.js';
import { splitBrainLog, type SplitBrainEvent } from './split-brain.js';
import { HostNet, LinkWatch, type NetInterface } from './io/net.js';
import { VrrpSocket4 } from './io/raw4.js';
import { VrrpSocket6, type VrrpTransport } from './io/raw6.js';
import { instanceTracking, ScriptPoller, type SourceAddress } from './io/tracking.js';
import { SourceAddresses, type SourceChange } from './io/source-watch.js';
import { SyncGroupRuntime } from './io/sync-group.js';
import { VipOps } from './io/vip-ops.js';
import { StallClock } from './io/stall-clock.js';
import { UnknownVridCounter, type SocketDrops } from './io/socket-drops.js';
import { STOP_SYNC_DAEMONS, syncDaemonOps } from './sync-daemon.js';

/** SyncDaemonPort is what the manager needs of the IPVS client to follow VRRP state with the connection sync daemon. */
export interface SyncDaemonPort {
  apply(ops: readonly IpvsOp[]): Promise<readonly Pick<ApplyFailure, 'index' | 'error'>[]>;
}

/** VrrpManagerOptions are the manager's collaborators; all have real defaults. */
export interface VrrpManagerOptions {
  readonly ipvs?: SyncDaemonPort | undefined;
  readonly scripts?: ScriptRunnerLike | undefined;
  /** how the default runner starts scripts (the daemon's spawn helper, so adverts never wait on a fork) */
  readonly launcher?: Launcher | undefined;
}

export type { InstanceStatus, InstanceTimers } from './io/instance-status.js';

const now = (): number => performance.now();

/** VrrpManager runs the configuration's VRRP instances in the daemon's process. */
export class VrrpManager {
  private net: HostNet | undefined;
  private link: LinkSender | undefined;
  private watch: LinkWatch | undefined;
  private poller: ScriptPoller | undefined;
  private readonly runner: ScriptRunnerLike;
  private ifaces = new Map<string, NetInterface>();
  private readonly linkUp = new Map<string, boolean>();
  /** the host's IPv6 addresses and their DAD state, kept by RTNLGRP_IPV6_IFADDR events */
  private sources: SourceAddresses | undefined;
  private readonly sockets = new Map<string, VrrpTransport>();
  private readonly runtimes: InstanceRuntime[] = [];
  private readonly groups: SyncGroupRuntime[] = [];
  private readonly tracking = new Map<string, TrackingSummary>();
  private syncQueue: Promise<unknown> = Promise.resolve();
  private readonly vips: VipOps;
  private readonly unknownVrid: UnknownVridCounter;
  private readonly stalls = new StallClock(now);
  private delayedStartUntil: number | undefined;

  constructor(private model: Model, private readonly log: Logger, private readonly options: VrrpManagerOptions = {}) {
    this.runner = options.scripts ?? new ScriptRunner({ defaults: model.global.scriptUser, launcher: options.launcher });
    const host = { net: () => this.net, link: () => this.link, device: (inst: VrrpInstance, vip: VirtualIp) => this.device(inst, vip), isMaster: (name: string) => this.runtimes.find((r) => r.config.name === name)?.state.state === 'MASTER', now };
    this.unknownVrid = new UnknownVridCounter(log, now);
    this.vips = new VipOps(host, log, model.global.vrrp.garpInterval * 1000, model.global.vrrp.gnaInterval * 1000);
  }

  /** instances lists the running instances. */
  get instances(): readonly InstanceRuntime[] {
    return this.runtimes;
  }

  /** start opens the sockets, reads the interfaces and starts every instance (IPv4 on raw-socket, IPv6 on the native addon). */
  async start(): Promise<void> {
    this.net = HostNet.open();
    this.ifaces = await this.net.interfaces();
    for (const i of this.ifaces.values()) this.linkUp.set(i.name, i.up);
    const net = this.net;
    this.sources = new SourceAddresses(
      { ipv6Addresses: () => net.ipv6Addresses() },
      () => this.runtimes.filter((r) => r.config.family === 'inet6').map((r) => r.source),
      (c) => this.onSource(c),
      (err) => this.log.warn({ event: 'vrrp-address-watch', err }, `IPv6 address dump: ${err.message}`),
    );
    await this.sources.load();
    try {
      this.link = new LinkSender();
    } catch (err) {
      // VRRP still elects and moves addresses; only the LAN's ARP caches follow more slowly
      this.log.error({ event: 'garp-unavailable', err }, `gratuitous ARP disabled: ${(err as Error).message}`);
    }
    this.watch = new LinkWatch(
      (name, index, up) => this.onLink(name, index, up),
      (err) => this.log.warn({ event: 'vrrp-link-watch', err }, `link watch: ${err.message}`),
      (e) => this.sources?.event(e),
    );
    this.poller = this.newPoller(this.model);
    const delayMs = this.model.global.vrrp.startupDelay * 1000;
    if (delayMs > 0) {
      // keepalived vrrp_startup_delay: instances listen but none becomes Master before the delay is over
      this.delayedStartUntil = now() + delayMs;
      this.log.info({ event: 'vrrp-startup-delay', seconds: delayMs / 1000 }, `VRRP: delaying startup for ${delayMs / 1000} s`);
    }
    this.stalls.start();
    this.openAll(this.model.vrrp.instances);
    this.buildGroups();
    for (const r of this.runtimes) {
      this.log.info({ event: 'vrrp-instance', instance: r.config.name, vrid: r.config.virtualRouterId, version: r.config.version, source: r.source, priority: r.config.priority, vips: vipNames(r.vips), masterDownMs: r.masterDownMs }, `${r.config.name}: starting`);
      if (!r.router) r.start();
    }
    for (const g of this.groups) g.start(now());
    this.poller.start();
  }

  private open(inst: VrrpInstance): void {
    const v6 = inst.family === 'inet6';
    const iface = inst.interface === undefined ? undefined : this.ifaces.get(inst.interface);
    if (inst.interface !== undefined && !iface) throw new Error(`no interface ${inst.interface}`);
    // IPv6: the interface's link-local address (RFC 5798 §5.1.2.1), as keepalived
    const source = inst.unicastSrcIp ?? inst.mcastSrcIp ?? iface?.primary[inst.family];
    if (source === undefined) throw new Error(`${inst.interface ?? 'no interface'} has no ${v6 ? 'IPv6 link-local' : 'IPv4'} address to send from: set unicast_src_ip or mcast_src_ip`);
    const multicast = inst.unicastPeers.length === 0;
    const group = inst.mcastDstIp ?? (v6 ? this.model.global.vrrp.mcastGroup6 : this.model.global.vrrp.mcastGroup4);
    const key = `${inst.interface ?? ''}`;
    let sock = this.sockets.get(`${inst.family} ${key}`);
    if (!sock) {
      sock = new (v6 ? VrrpSocket6 : VrrpSocket4)(
        { device: inst.interface, ifindex: iface?.index, groups: [] },
        (p) => {
          const vrid = p.data[p.offset + 1];
          let matched = false;
          for (const r of this.runtimes) {
            if (r.config.virtualRouterId !== vrid || r.config.family !== p.family || (r.config.interface ?? '') !== key) continue;
            matched = true;
            try {
              r.receive(p);
            } catch (err) {
              // receive never throws by design; a bug here must not take the socket's other instances down
              this.log.error({ event: 'vrrp-receive-failed', instance: r.config.name, err }, `${r.config.name}: receive failed: ${(err as Error).message}`);
            }
          }
          if (!matched) this.unknownVrid.count(`${inst.family} ${key}`, vrid, p.source);
        },
        (err) => this.log.warn({ event: 'vrrp-socket', interface: key, err }, `VRRP socket on ${key || 'any'}: ${err.message}`),
      );
      this.sockets.set(`${inst.family} ${key}`, sock);
    }
    if (multicast && inst.interface !== undefined) sock.join(group);
    const s = sock;
    const ttl = inst.unicastTtl ?? 255;
    const tracking = instanceTracking(inst, (n) => this.linkUp.get(n), (n) => this.scriptStatus(n), this.groupOf(inst.name), this.sourceOf(inst, source));
    this.tracking.set(inst.name, tracking);
    const runtime = new InstanceRuntime(
      inst,
      source,
      {
        send: (message, src, dst) => s.send(message, src, dst, multicast ? 255 : ttl),
        addAddresses: (vips) => this.vips.addresses(inst, vips, true),
        removeAddresses: (vips) => this.vips.addresses(inst, vips, false),
        announce: (vips) => this.vips.announce(inst, vips),
        transition: (from, to) => this.transition(inst, from, to),
        warn: (message, fields) => this.log.warn({ event: 'vrrp-warning', instance: inst.name, ...fields }, message),
        now,
        drainReceived: () => s.drain(),
        stalls: this.stalls,
        splitBrain: (e) => this.splitBrain(inst, e),
      },
      tracking,
      group,
      this.delayedStartUntil,
    );
    this.runtimes.push(runtime);
  }

  /** openAll opens each instance (logging the ones that cannot start) and returns the runtimes opened. */
  private openAll(instances: readonly VrrpInstance[]): InstanceRuntime[] {
    const opened: InstanceRuntime[] = [];
    for (const inst of instances) {
      try {
        this.open(inst);
        opened.push(this.runtimes.at(-1)!);
      } catch (err) {
        this.log.error({ event: 'vrrp-instance-failed', instance: inst.name, err }, `${inst.name}: not started: ${(err as Error).message}`);
      }
    }
    return opened;
  }

  private buildGroups(): void {
    for (const g of this.model.vrrp.syncGroups) {
      const members = this.runtimes.filter((r) => g.instances.includes(r.config.name));
      if (members.length > 0) this.groups.push(new SyncGroupRuntime(g, members, (state) => this.groupState(g, state)));
    }
  }

  private newPoller(model: Model): ScriptPoller {
    return new ScriptPoller(model.vrrp.scripts, this.runner, (name, status, detail) => {
      this.log.info({ event: 'vrrp-script', script: name, status, detail }, `vrrp_script ${name} is ${status} (${detail})`);
      this.retrack();
    });
  }

  private groupOf(instance: string): VrrpSyncGroup | undefined {
    return this.model.vrrp.syncGroups.find((g) => g.instances.includes(instance));
  }

  /** groupState logs a sync group's collective state and runs the group's notify scripts. */
  private groupState(g: VrrpSyncGroup, state: string): void {
    const shown = state === 'INIT' ? 'STOP' : state;
    this.log.info({ event: 'vrrp-group-state', group: g.name, to: shown, instances: g.instances }, `sync group ${g.name}: ${shown}`);
    const n = g.notify;
    const specific = shown === 'MASTER' ? n.master : shown === 'BACKUP' ? n.backup : shown === 'FAULT' ? n.fault : n.stop;
    if (specific) void this.runScript(g.name, specific.argv, specific);
    if (n.any) void this.runScript(g.name, [...n.any.argv, 'GROUP', g.name, shown], n.any);
  }

  private scriptStatus(name: string): TrackStatus {
    return this.poller?.status(name) ?? 'unknown';
  }

  private onLink(name: string, index: number, up: boolean): void {
    const was = this.linkUp.get(name);
    this.linkUp.set(name, up);
    if (was === up) return;
    this.log.info({ event: up ? 'link-up' : 'link-down', interface: name, index }, `interface ${name} is ${up ? 'up' : 'down'}`);
    // a kept address is made tentative again without an announcement: read the table before leaving FAULT
    if (up && this.sources) void this.sources.resync().then(() => this.retrack());
    else this.retrack();
  }

  /** sourceOf is an IPv6 instance's source address and its state now (undefined for IPv4, whose sends need no usable source). */
  private sourceOf(inst: VrrpInstance, source: string): SourceAddress | undefined {
    if (inst.family !== 'inet6') return undefined;
    const ifindex = inst.interface === undefined ? undefined : this.ifaces.get(inst.interface)?.index;
    return { address: source, state: this.sources?.state(source, ifindex) ?? 'missing' };
  }

  /** onSource logs a change of an instance's source address (tentative, usable, DAD failed, gone) and retracks. */
  private onSource(c: SourceChange): void {
    const dev = [...this.ifaces.values()].find((i) => i.index === c.index)?.name;
    this.log.info({ event: 'source-address', interface: dev, index: c.index, address: c.address, from: c.from, to: c.to }, `${dev ?? c.index}: VRRP source ${c.address} is ${c.to}`);
    this.retrack();
  }

  /** retrack recomputes every instance's tracking and feeds the differences to its FSM. */
  private retrack(): void {
    for (const r of this.runtimes) {
      const prev = this.tracking.get(r.config.name) ?? { weight: 0, faults: [] };
      const next = instanceTracking(r.config, (n) => this.linkUp.get(n), (n) => this.scriptStatus(n), this.groupOf(r.config.name), this.sourceOf(r.config, r.source));
      this.tracking.set(r.config.name, next);
      const events = trackingEvents(prev, next);
      if (events.length > 0) this.log.info({ event: 'vrrp-tracking', instance: r.config.name, weight: next.weight, faults: next.faults }, `${r.config.name}: tracking weight ${next.weight}, faults [${next.faults.join(', ')}]`);
      r.track(events);
    }
  }

  private device(inst: VrrpInstance, vip: VirtualIp): NetInterface | undefined {
    const name = vip.dev ?? inst.interface;
    return name === undefined ? undefined : this.ifaces.get(name);
  }

  private transition(inst: VrrpInstance, from: FsmState, to: FsmState): void {
    const state = to.state === 'INIT' ? 'STOP' : to.state;
    this.log.info(
      { event: 'vrrp-state', instance: inst.name, vrid: inst.virtualRouterId, from: from.state, to: state, priority: to.effectivePriority, master: to.master?.address, vips: vipNames(inst.virtualIpAddresses) },
      `${inst.name}: ${from.state} -> ${state} (priority ${to.effectivePriority}; ${vipNames(inst.virtualIpAddresses).join(' ')})`,
    );
    const n = inst.notify;
    const specific = state === 'MASTER' ? n.master : state === 'BACKUP' ? n.backup : state === 'FAULT' ? n.fault : n.stop;
    if (specific) void this.runScript(inst.name, specific.argv, specific);
    if (n.any) void this.runScript(inst.name, [...n.any.argv, 'INSTANCE', inst.name, state, String(to.effectivePriority)], n.any);
    this.followSyncDaemon(inst, state);
  }

  private async runScript(owner: string, argv: readonly string[], script: { user?: string | undefined; group?: string | undefined }): Promise<void> {
    const r = await this.runner.run({ argv, user: script.user, group: script.group });
    const ok = r.code === 0 && !r.timedOut && r.error === undefined;
    this.log[ok ? 'info' : 'warn']({ event: 'vrrp-notify', instance: owner, argv, code: r.code, timedOut: r.timedOut, error: r.error }, `${owner}: notify ${argv.join(' ')} ended ${ok ? 'ok' : 'with a failure'}`);
  }

  /** followSyncDaemon: lvs_sync_daemon IF INSTANCE — master daemon while the instance is Master, backup daemon otherwise. */
  private followSyncDaemon(inst: VrrpInstance, state: string): void {
    const sd = this.model.global.lvsSyncDaemon;
    const ipvs = this.options.ipvs;
    const ops = syncDaemonOps(sd, inst, state);
    if (!sd || !ipvs || !ops) return;
    this.syncQueue = this.syncQueue.then(async () => {
      const failures = await ipvs.apply(ops).catch((err: unknown) => [{ index: -1, error: err as Error }]);
      // stopping a daemon that is not running fails with ESRCH, starting one already running in that role (standBy) with EEXIST: expected
      const real = failures.filter((f) => !(ops[f.index]?.op === 'stop-daemon') && !(ops[f.index]?.op === 'start-daemon' && (f.error as { code?: string }).code === 'EEXIST'));
      for (const f of real) this.log.warn({ event: 'sync-daemon-failed', instance: inst.name, err: f.error }, `IPVS sync daemon: ${f.error.message}`);
      if (real.length === 0) this.log.info({ event: 'sync-daemon', instance: inst.name, state: state === 'MASTER' ? 'master' : state === 'STOP' ? 'stopped' : 'backup', syncId: sd.syncId ?? inst.virtualRouterId }, `IPVS sync daemon follows ${inst.name}: ${state}`);
    });
  }

  /** splitBrain logs the start (warn) and the end of a split brain, once each. */
  private splitBrain(inst: VrrpInstance, e: SplitBrainEvent): void {
    const l = splitBrainLog(inst.name, inst.virtualRouterId, e);
    this.log[l.level](l.fields, l.message);
  }

  /**
   * standBy starts the IPVS sync daemon in backup role for the instance lvs_sync_daemon names, before any instance
   * runs: with net.ipv4.vs.backup_only set (a director that is one of its own real servers) this host's IPVS stays
   * out of the way until VRRP makes the instance Master.
   */
  async standBy(): Promise<void> {
    const sd = this.model.global.lvsSyncDaemon;
    const inst = sd?.instance === undefined ? undefined : this.model.vrrp.instances.find((i) => i.name === sd.instance);
    if (!inst) return;
    this.followSyncDaemon(inst, 'BACKUP');
    await this.syncQueue;
  }

  /** status is every instance's state, priorities, the Master heard, timers, split brain and counters. */
  /** socketDrops is what each VRRP socket dropped before any instance saw it (malformed framing, unknown VRID). */
  socketDrops(): SocketDrops[] {
    return [...this.sockets].map(([k, sock]) => {
      const [family, iface] = k.split(' ') as ['inet' | 'inet6', string];
      return { interface: iface, family, malformed: sock.malformed, unknownVrid: this.unknownVrid.of(k) };
    });
  }

  status(): InstanceStatus[] {
    const clock = { mono: now(), wall: Date.now() };
    return this.runtimes.map((r) => instanceStatus(r, clock));
  }

  /**
   * reload applies a reloaded configuration as keepalived does (plan in reload.ts): unchanged instances keep running
   * untouched, changed ones take their new settings in place or restart, removed ones stop (priority 0, VIPs
   * dropped), added ones start. Returns the plan it carried out.
   */
  async reload(next: Model): Promise<VrrpReloadPlan> {
    const plan = planVrrpReload(this.model, next);
    const prev = this.model;
    const named = (n: string) => this.runtimes.find((r) => r.config.name === n);
    const stopping = plan.full ? [...this.runtimes] : [...plan.remove, ...plan.restart.map((c) => c.name)].map(named).filter((r): r is InstanceRuntime => r !== undefined);
    await Promise.all(stopping.map((r) => r.stop()));
    for (const r of stopping) {
      this.runtimes.splice(this.runtimes.indexOf(r), 1);
      this.tracking.delete(r.config.name);
    }
    this.model = next;
    if (plan.garpPacingChanged) this.vips.setPacing(next.global.vrrp.garpInterval * 1000, next.global.vrrp.gnaInterval * 1000);
    if (plan.full) {
      this.groups.length = 0;
      this.poller?.stop();
      this.poller = this.newPoller(next);
    }
    for (const c of plan.update) {
      const inst = next.vrrp.instances.find((i) => i.name === c.name);
      const r = named(c.name);
      if (!inst || !r) continue;
      r.reconfigure(inst);
      this.log.info({ event: 'vrrp-instance-updated', instance: c.name, changes: c.changes, state: r.state.state, priority: r.state.effectivePriority }, `${c.name}: reloaded (${c.changes.join(', ')}), staying ${r.state.state}`);
    }
    const starting = plan.full ? next.vrrp.instances.map((i) => i.name) : [...plan.restart.map((c) => c.name), ...plan.add];
    const started = this.openAll(next.vrrp.instances.filter((i) => starting.includes(i.name)));
    if (plan.full) this.buildGroups();
    for (const r of started) if (!r.router) r.start();
    if (plan.full) {
      for (const g of this.groups) g.start(now());
      this.poller?.start();
    }
    this.retrack();
    if (plan.syncDaemonChanged) {
      if (prev.global.lvsSyncDaemon) await this.stopSyncDaemons();
      for (const r of this.runtimes) this.followSyncDaemon(r.config, r.state.state === 'INIT' ? 'STOP' : r.state.state);
    }
    this.log.info(
      { event: 'vrrp-reloaded', kept: plan.keep, updated: plan.update.map((c) => c.name), restarted: plan.full ? starting : plan.restart.map((c) => c.name), removed: plan.remove, added: plan.add, full: plan.full, reason: plan.reason },
      `VRRP reloaded: ${plan.keep.length} kept, ${plan.update.length} updated, ${plan.full ? starting.length : plan.restart.length} restarted, ${plan.remove.length} removed, ${plan.add.length} added${plan.reason ? ` (${plan.reason})` : ''}`,
    );
    return plan;
  }

  /** stopSyncDaemons stops both IPVS sync daemons (before lvs_sync_daemon settings change). */
  private async stopSyncDaemons(): Promise<void> {
    const ipvs = this.options.ipvs;
    if (!ipvs) return;
    this.syncQueue = this.syncQueue.then(() => ipvs.apply(STOP_SYNC_DAEMONS).catch(() => []));
    await this.syncQueue;
  }

  /** stop shuts every instance down (a Master sends priority 0 and removes its VIPs), then closes sockets and stops scripts. */
  async stop(): Promise<void> {
    this.poller?.stop();
    this.stalls.stop();
    this.watch?.close();
    this.sources?.stop();
    this.vips.cancel();
    await Promise.all(this.runtimes.map((r) => r.stop()));
    // let the priority-0 adverts leave before the sockets close
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.syncQueue;
    // notify_stop / notify … STOP scripts get a moment to finish, as keepalived waits for its children
    await this.runner.idle(2000);
    this.runner.killAll();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    this.link?.close();
    this.net?.close();
  }
}

function vipNames(vips: readonly VirtualIp[]): string[] {
  return vips.map((v) => v.address);
}
