// Health layer (facade): HealthMonitor — real server health from the config model: up/down and quorum events, status, reload, omega on stop.
import { EventEmitter } from 'node:events';
import type { RealServer, Script, TcpCheck, VirtualServer } from '../config/model.js';
import type { CheckStatus, HealthEvents, HealthModel, RealServerStatus, ScriptEvent, VirtualServerStatus } from './events.js';
import { systemClock, type Clock } from './clock.js';
import { initialQuorum, quorumStep, quorumThreshold } from './quorum.js';
import { CheckScheduler, checkKey, connectionKey, type CheckDef, type ProbeReport } from './scheduler.js';
import type { Launcher } from './launcher.js';
import { ScriptRunner, type ScriptResult, type ScriptRunnerLike } from './scripts.js';
import { tcpCheck, type CheckResult, type Probe } from './tcp-check.js';
import { freshSeed, migrateSeed, type SeedState } from './tracker.js';

export type * from './events.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { checkKey, type CheckDef } from './scheduler.js';
export { ScriptRunner, type ScriptResult, type ScriptRunnerLike } from './scripts.js';
export { tcpCheck, type CheckResult, type Probe, type TcpTarget } from './tcp-check.js';

/** HealthMonitorOptions inject time, the probe and limits (tests use a manual clock and a fake probe). */
export interface HealthMonitorOptions {
  readonly clock?: Clock | undefined;
  readonly probe?: Probe | undefined;
  readonly random?: (() => number) | undefined;
  readonly maxInFlight?: number | undefined;
  /** the notify script runner; false runs no scripts */
  readonly scripts?: ScriptRunnerLike | false | undefined;
  /** notify scripts are killed after this long (default 10 s) */
  readonly scriptTimeoutMs?: number | undefined;
  /** how the default runner starts scripts (the daemon's spawn helper); forked from this process when unset */
  readonly launcher?: Launcher | undefined;
  /** omega scripts on stop are killed after this long (keepalived: 1 s) */
  readonly stopScriptTimeoutMs?: number | undefined;
  readonly onCheckStart?: ((key: string, idealAt: number, startedAt: number) => void) | undefined;
  /** called as each check attempt ends with its result (latency, ok or the failure, local), e.g. for metrics */
  readonly onCheckEnd?: ((key: string, result: CheckResult, endedAt: number) => void) | undefined;
}

interface RsEntry {
  readonly id: string;
  ve: VsEntry;
  rs: RealServer;
  keys: Map<string, CheckDef>;
  up: boolean;
  since: number;
  reason: string;
}

interface VsEntry {
  readonly key: string;
  vs: VirtualServer;
  servers: Map<string, RsEntry>;
  quorumUp: boolean;
}

/** toCheckDef converts a model TCP_CHECK (seconds) to the scheduler's check (ms). */
export function toCheckDef(c: TcpCheck): CheckDef {
  return {
    family: c.family,
    connectIp: c.connectIp,
    connectPort: c.connectPort,
    ...(c.bindTo ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort ? { bindPort: c.bindPort } : {}),
    connectTimeoutMs: c.connectTimeout * 1000,
    delayLoopMs: c.delayLoop * 1000,
    delayBeforeRetryMs: c.delayBeforeRetry * 1000,
    retry: c.retry,
    warmupMs: c.warmup * 1000,
    alpha: c.alpha,
  };
}

const vsKey = (vs: VirtualServer): string => `${vs.name}|${vs.family}`;
const rsKey = (rs: { address: string; port: number }): string => `[${rs.address}]:${rs.port}`;

/** HealthMonitor checks every real server of the model and reports up/down transitions, quorum changes and script results. */
export class HealthMonitor extends EventEmitter<HealthEvents> {
  /** warnings are configuration parts health checking ignores (bind_if, fwmark, unimplemented checkers) */
  warnings: string[] = [];
  private vss = new Map<string, VsEntry>();
  private byName = new Map<string, VsEntry>();
  private readonly clock: Clock;
  private readonly sched: CheckScheduler<RsEntry>;
  private readonly runner: ScriptRunnerLike | undefined;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(model: HealthModel, private readonly options: HealthMonitorOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.runner = options.scripts === false ? undefined : (options.scripts ?? new ScriptRunner({ timeoutMs: options.scriptTimeoutMs, launcher: options.launcher }));
    this.sched = new CheckScheduler<RsEntry>({
      clock: this.clock,
      probe: options.probe ?? tcpCheck,
      random: options.random,
      maxInFlight: options.maxInFlight,
      onStart: options.onCheckStart,
      onEnd: options.onCheckEnd,
      onReport: (e, r) => this.onReport(e, r),
    });
    this.apply(model);
  }

  /** start begins checking; each check's first run is delayed by a random part of its warmup. */
  start(): void {
    if (!this.stopped) this.sched.start();
  }

  /** update applies a reloaded model: unchanged checks keep their state and schedule; servers that were down stay down. */
  update(model: HealthModel): void {
    if (!this.stopped) this.apply(model);
  }

  /** isUp is whether real server `address`:`port` of virtual server `vsName` is up (undefined if unknown). */
  isUp(vsName: string, address: string, port: number): boolean | undefined {
    return this.byName.get(vsName)?.servers.get(rsKey({ address, port }))?.up;
  }

  /** quorumUp is whether virtual server `vsName` has its quorum (undefined if unknown). */
  quorumUp(vsName: string): boolean | undefined {
    return this.byName.get(vsName)?.quorumUp;
  }

  /** status is the health of every virtual and real server, with each check's last result. */
  status(): VirtualServerStatus[] {
    return [...this.vss.values()].map((ve) => ({
      name: ve.vs.name,
      quorumUp: ve.quorumUp,
      aliveWeight: aliveWeight(ve),
      realServers: [...ve.servers.values()].map((e) => this.rsStatus(e)),
    }));
  }

  /** stats are the scheduler's counters (checks, in flight, waiting, started). */
  stats(): ReturnType<CheckScheduler<RsEntry>['stats']> {
    return this.sched.stats();
  }

  /** stop ends checking; omega virtual servers run notify_down of live servers and quorum_down (emitted as 'omega'); scripts still running are then killed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sched.stop();
    const at = this.clock.now();
    const timeout = this.options.stopScriptTimeoutMs ?? 1000;
    for (const ve of this.vss.values()) {
      if (!ve.vs.omega) continue;
      const live = [...ve.servers.values()].filter((e) => e.up);
      for (const e of live) this.runScript('notify_down', ve.vs, e.rs, e.rs.notifyDown, timeout);
      // keepalived update_vs_notifies(stopping): quorum_down runs on shutdown whatever the quorum was
      this.runScript('quorum_down', ve.vs, undefined, ve.vs.quorumDown, timeout);
      ve.quorumUp = false;
      this.emit('omega', { vs: ve.vs, servers: live.map((e) => e.rs), at });
    }
    if (this.runner) {
      await this.runner.idle(timeout + 500);
      this.runner.killAll();
    }
    await Promise.all([...this.pending]);
  }

  private apply(model: HealthModel): void {
    const at = this.clock.now();
    this.runner?.setDefaults(model.global?.scriptUser);
    const warnings: string[] = [];
    const prev = this.vss;
    const next = new Map<string, VsEntry>();
    const stale: [RsEntry, string][] = [];
    const kept: RsEntry[] = [];
    const removed: RsEntry[] = [];
    for (const vs of model.virtualServers) {
      const vk = vsKey(vs);
      if (next.has(vk)) continue;
      const old = prev.get(vk);
      const ve: VsEntry = old ?? { key: vk, vs, servers: new Map(), quorumUp: false };
      const oldServers = old?.servers ?? new Map<string, RsEntry>();
      ve.vs = vs;
      ve.servers = new Map();
      for (const rs of vs.realServers) {
        const id = rsKey(rs);
        if (ve.servers.has(id)) continue;
        warnings.push(...rsWarnings(vs, rs));
        const defs = new Map(rs.checkers.map((c) => [checkKey(toCheckDef(c)), toCheckDef(c)] as const));
        const was = oldServers.get(id);
        if (was) {
          this.rekey(was, defs, stale);
          was.ve = ve;
          was.rs = rs;
          kept.push(was);
          ve.servers.set(id, was);
        } else {
          const e: RsEntry = { id, ve, rs, keys: defs, up: true, since: at, reason: 'start' };
          for (const d of defs.values()) this.sched.add(e, d);
          e.up = this.computeUp(e);
          if (!e.up) e.reason = this.downReason(e);
          ve.servers.set(id, e);
        }
      }
      for (const [id, e] of oldServers) if (!ve.servers.has(id)) removed.push(e);
      next.set(vk, ve);
    }
    const gone = [...prev.values()].filter((ve) => !next.has(ve.key));
    for (const ve of gone) removed.push(...ve.servers.values());
    this.vss = next;
    // by name, the first of a name wins (a reconcile pass asks for every real server: a scan each was quadratic)
    this.byName = new Map();
    for (const ve of next.values()) if (!this.byName.has(ve.vs.name)) this.byName.set(ve.vs.name, ve);
    // subscriptions are dropped only after every new one was made, so a check moving between servers keeps its state
    for (const [e, k] of stale) this.sched.remove(e, k);
    for (const e of removed) {
      for (const k of e.keys.keys()) this.sched.remove(e, k);
      // keepalived clear_diff_rs: a live server that leaves the configuration runs its notify_down
      if (e.up) this.runScript('notify_down', e.ve.vs, e.rs, e.rs.notifyDown);
    }
    for (const ve of gone) if (ve.quorumUp) this.runScript('quorum_down', ve.vs, undefined, ve.vs.quorumDown);
    for (const e of kept) {
      const up = this.computeUp(e);
      if (up !== e.up) this.transition(e, up, 'reload', at);
    }
    for (const ve of next.values()) {
      if (prev.has(ve.key)) this.updateQuorum(ve, at);
      else ve.quorumUp = initialQuorum(ve.vs, aliveWeight(ve));
    }
    this.warnings = warnings;
  }

  /** rekey moves a kept real server to its new checks, migrating verdicts the way keepalived's migrate_checkers does. */
  private rekey(e: RsEntry, defs: Map<string, CheckDef>, stale: [RsEntry, string][]): void {
    const hadFailed = [...e.keys.keys()].some((k) => this.sched.info(k)?.tracker.up === false);
    for (const [k, d] of defs) {
      if (e.keys.has(k)) continue;
      const same = [...e.keys].find(([ok, od]) => !defs.has(ok) && connectionKey(od) === connectionKey(d));
      const oldTracker = same ? this.sched.info(same[0])?.tracker : undefined;
      const seed: SeedState | undefined = oldTracker ? migrateSeed(oldTracker, d) : hadFailed ? freshSeed(d, d.alpha) : undefined;
      this.sched.add(e, d, seed);
    }
    for (const k of e.keys.keys()) if (!defs.has(k)) stale.push([e, k]);
    e.keys = defs;
  }

  private onReport(e: RsEntry, r: ProbeReport): void {
    if (this.stopped || this.vss.get(e.ve.key)?.servers.get(e.id) !== e) return;
    if (r.initial) {
      // keepalived do_rs_notifies on an alpha check's failed first run: notify_down, no transition
      if (!e.up) this.runScript('notify_down', e.ve.vs, e.rs, e.rs.notifyDown);
      return;
    }
    // keepalived num_failed_checkers: a real server is up only when all of its checks are
    const up = this.computeUp(e);
    if (up !== e.up) this.transition(e, up, r.reason, r.at, r.key);
  }

  private transition(e: RsEntry, up: boolean, reason: string, at: number, check?: string): void {
    e.up = up;
    e.since = at;
    e.reason = reason;
    this.emit('change', { vs: e.ve.vs, rs: e.rs, state: up ? 'up' : 'down', reason, at, ...(check ? { check } : {}) });
    this.runScript(up ? 'notify_up' : 'notify_down', e.ve.vs, e.rs, up ? e.rs.notifyUp : e.rs.notifyDown);
    this.updateQuorum(e.ve, at);
  }

  private updateQuorum(ve: VsEntry, at: number): void {
    const w = aliveWeight(ve);
    const up = quorumStep(ve.quorumUp, ve.vs, w);
    if (up === ve.quorumUp) return;
    const threshold = quorumThreshold(ve.quorumUp, ve.vs);
    ve.quorumUp = up;
    this.emit('quorum', { vs: ve.vs, state: up ? 'up' : 'down', aliveWeight: w, threshold, at });
    this.runScript(up ? 'quorum_up' : 'quorum_down', ve.vs, undefined, up ? ve.vs.quorumUp : ve.vs.quorumDown);
  }

  /** downReason is why a new server starts down: alpha, or a shared check that is already down. */
  private downReason(e: RsEntry): string {
    for (const k of e.keys.keys()) {
      const i = this.sched.info(k);
      if (i && !i.tracker.up) return i.tracker.hasRun ? (i.lastFailure?.reason ?? 'down') : 'alpha';
    }
    return 'down';
  }

  private computeUp(e: RsEntry): boolean {
    for (const k of e.keys.keys()) if (this.sched.info(k)?.tracker.up === false) return false;
    return true;
  }

  private runScript(kind: ScriptEvent['kind'], vs: VirtualServer, rs: RealServer | undefined, script: Script | undefined, timeoutMs?: number): void {
    if (!script || !this.runner) return;
    const p = this.runner.run(script, timeoutMs).then((result) => {
      this.pending.delete(p);
      this.emit('script', { kind, vs, ...(rs ? { rs } : {}), result });
    });
    this.pending.add(p);
  }

  private rsStatus(e: RsEntry): RealServerStatus {
    const checks: CheckStatus[] = [];
    for (const k of e.keys.keys()) {
      const i = this.sched.info(k);
      if (!i) continue;
      checks.push({
        key: k,
        target: `TCP_CHECK [${i.def.connectIp}]:${i.def.connectPort}`,
        state: i.tracker.up ? 'up' : 'down',
        retries: i.tracker.retryIt,
        nextCheckAt: i.tracker.due,
        ...(i.lastStartAt !== undefined ? { lastCheckAt: i.lastStartAt } : {}),
        ...(i.lastResult ? { latencyMs: i.lastResult.latencyMs } : {}),
        ...(i.lastFailure ? { lastFailure: i.lastFailure } : {}),
      });
    }
    const last = checks.reduce<CheckStatus | undefined>((a, c) => (c.lastCheckAt !== undefined && (a?.lastCheckAt === undefined || c.lastCheckAt > a.lastCheckAt) ? c : a), undefined);
    const failure = checks.reduce<CheckStatus['lastFailure']>((a, c) => (c.lastFailure && (!a || c.lastFailure.at > a.at) ? c.lastFailure : a), undefined);
    return {
      address: e.rs.address,
      port: e.rs.port,
      weight: e.rs.weight,
      inhibitOnFailure: e.rs.inhibitOnFailure,
      state: e.up ? 'up' : 'down',
      since: e.since,
      reason: e.reason,
      ...(last?.lastCheckAt !== undefined ? { lastCheckAt: last.lastCheckAt, latencyMs: last.latencyMs } : {}),
      ...(failure ? { lastFailure: failure } : {}),
      checks,
    };
  }
}

function aliveWeight(ve: VsEntry): number {
  let w = 0;
  for (const e of ve.servers.values()) if (e.up) w += e.rs.weight;
  return w;
}

function rsWarnings(vs: VirtualServer, rs: RealServer): string[] {
  const out: string[] = [];
  const where = `${vs.name} real_server ${rsKey(rs)}`;
  for (const c of rs.checkers) {
    if (c.bindIf) out.push(`${where}: TCP_CHECK bind_if ${c.bindIf} is not supported; the check connects without it`);
    if (c.fwmark !== undefined) out.push(`${where}: TCP_CHECK fwmark ${c.fwmark} is not supported; the check's packets are not marked`);
  }
  for (const s of rs.skippedCheckers) out.push(`${where}: ${s.type} is not implemented; it does not affect the server's health`);
  return out;
}
