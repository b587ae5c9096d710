// I/O edge: vrrp_script polling (each on its own interval, through the script runner, never blocking adverts) and the tracked objects' verdicts per instance.
import type { VrrpInstance, VrrpScript, VrrpSyncGroup } from '../../config/model.js';
import type { ScriptRunnerLike } from '../../health/scripts.js';
import type { AddrState } from '../source-address.js';
import { initialScriptState, scriptResult, summarizeTracking, type ScriptState, type TrackedStatus, type TrackingSummary, type TrackStatus } from '../script-tracker.js';

/** ScriptPoller runs every vrrp_script at its interval and reports verdict changes (rise/fall counted by script-tracker). */
export class ScriptPoller {
  private readonly states = new Map<string, ScriptState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly scripts: readonly VrrpScript[],
    private readonly runner: ScriptRunnerLike,
    private readonly onChange: (name: string, status: TrackStatus, detail: string) => void,
  ) {
    for (const s of scripts) this.states.set(s.name, initialScriptState({ rise: s.rise, fall: s.fall, initFail: s.initFail }));
  }

  /** status is a script's verdict (unknown before its first result). */
  status(name: string): TrackStatus {
    return this.states.get(name)?.status ?? 'unknown';
  }

  /** start runs each script now and then every `interval` seconds after each run starts (a run still going delays the next). */
  start(): void {
    for (const s of this.scripts) void this.loop(s);
  }

  private async loop(s: VrrpScript): Promise<void> {
    if (this.stopped) return;
    const t0 = Date.now();
    const r = await this.runner.run(s.script, Math.max(1, s.timeout * 1000));
    if (this.stopped) return;
    const ok = r.code === 0 && !r.timedOut && r.error === undefined;
    const prev = this.states.get(s.name)!;
    const next = scriptResult(prev, ok);
    this.states.set(s.name, next.state);
    if (next.changed || (prev.status === 'unknown' && next.state.status !== 'unknown')) {
      const detail = r.error ?? (r.timedOut ? 'timed out' : r.signal ? `signal ${r.signal}` : `exit ${String(r.code)}`);
      this.onChange(s.name, next.state.status, detail);
    }
    const wait = Math.max(0, s.interval * 1000 - (Date.now() - t0));
    this.timers.set(s.name, setTimeout(() => void this.loop(s), wait));
  }

  /** stop ends the polling (runs in flight end or time out in the runner, which the owner may kill). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }
}

/** SourceAddress is an IPv6 instance's source address (link-local or unicast_src_ip) and its state on the host. */
export interface SourceAddress {
  readonly address: string;
  readonly state: AddrState;
}

/**
 * trackedStatuses lists an instance's tracked objects and their verdicts: its own interface (unless dont_track_primary),
 * its IPv6 source address (always: a missing, tentative or DAD-failed source cannot send adverts, so the instance is
 * in FAULT as keepalived's), track_interface, track_script, and those of its sync group.
 */
export function trackedStatuses(inst: VrrpInstance, linkUp: (name: string) => boolean | undefined, script: (name: string) => TrackStatus, group?: VrrpSyncGroup, source?: SourceAddress): TrackedStatus[] {
  const out: TrackedStatus[] = [];
  const link = (name: string): TrackStatus => {
    const up = linkUp(name);
    return up === undefined ? 'failed' : up ? 'ok' : 'failed';
  };
  if (inst.interface !== undefined && !inst.dontTrackPrimary) out.push({ source: `interface:${inst.interface}`, tracked: { weight: 0, reverse: false }, status: link(inst.interface) });
  if (source !== undefined) out.push({ source: `address:${source.address}`, tracked: { weight: 0, reverse: false }, status: source.state === 'usable' ? 'ok' : 'failed' });
  for (const t of inst.trackInterfaces) out.push({ source: `interface:${t.name}`, tracked: t, status: link(t.name) });
  for (const t of inst.trackScripts) out.push({ source: `script:${t.name}`, tracked: t, status: script(t.name) });
  for (const t of group?.trackInterfaces ?? []) out.push({ source: `group-interface:${t.name}`, tracked: t, status: link(t.name) });
  for (const t of group?.trackScripts ?? []) out.push({ source: `group-script:${t.name}`, tracked: t, status: script(t.name) });
  return out;
}

/** instanceTracking is the weight and faults of an instance now. */
export function instanceTracking(inst: VrrpInstance, linkUp: (name: string) => boolean | undefined, script: (name: string) => TrackStatus, group?: VrrpSyncGroup, source?: SourceAddress): TrackingSummary {
  return summarizeTracking(trackedStatuses(inst, linkUp, script, group, source));
}
