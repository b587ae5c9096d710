// Realserver layer: `lvsd realserver up | down | status` — read the host, plan, record, apply, report; every edge injectable.
import type { Model } from '../config/model.js';
import { RtnlClient } from '../netlink/rtnl-client.js';
import { buildStatus, findDangers, IPV6_NOTES, type StatusReport } from './checks.js';
import { RealserverError } from './errors.js';
import { applyAction, readSnapshot, type NetPort } from './host.js';
import type { HostSnapshot, RealserverState, Step, Vip } from './model.js';
import { isEmptyState, planDown, planUp, sameState, stateAfter, writeAheadState } from './plan.js';
import { renderDanger, renderStatus, renderSteps, type StepOutcome } from './render.js';
import { DEFAULT_STATE_FILE, fileStateStore, type StateStore } from './state.js';
import { procFs, type ProcPort } from './sysctl.js';
import { facingInterfaces, loopbackVips, nonLoopbackAddresses, parseVip, uniqueVips, vipsFromModel, vrrpVipKeys } from './vips.js';

/** RealserverDeps are the edges of the commands; each defaults to the real host. */
export interface RealserverDeps {
  readonly openNet?: () => NetPort;
  readonly proc?: ProcPort;
  readonly store?: (path: string) => StateStore;
  readonly isRoot?: () => boolean;
  readonly loadModel?: (path: string) => Promise<Model>;
  readonly out?: (s: string) => void;
  readonly err?: (s: string) => void;
}

/** UpOptions are the options of `up` (and, without label and dryRun, of `status`). */
export interface UpOptions {
  readonly configFile?: string;
  readonly vip?: readonly string[];
  readonly interface?: readonly string[];
  readonly label?: boolean;
  readonly stateFile?: string;
  readonly dryRun?: boolean;
}

/** DownOptions are the options of `down`. */
export interface DownOptions {
  readonly stateFile?: string;
  readonly dryRun?: boolean;
}

/** StatusOptions are the options of `status`. */
export interface StatusOptions extends Omit<UpOptions, 'label' | 'dryRun'> {
  readonly json?: boolean;
}

/** RunResult is what `up` or `down` did: actions that changed the host, failures, and the state left recorded. */
export interface RunResult {
  readonly changes: number;
  readonly failures: number;
  readonly state: RealserverState;
}

async function defaultLoadModel(path: string): Promise<Model> {
  const { loadConfig, formatDiagnostic } = await import('../config/index.js');
  const r = loadConfig(path);
  if (r.model) return r.model;
  const first = r.diagnostics.find((d) => d.severity === 'error');
  throw new RealserverError('RS_CONFIG', `${path}: configuration is not usable${first ? `: ${formatDiagnostic(first)}` : ''} (lvsd check -f ${path} lists every problem)`);
}

function resolve(deps: RealserverDeps) {
  return {
    openNet: deps.openNet ?? (() => RtnlClient.open()),
    proc: deps.proc ?? procFs(),
    store: deps.store ?? ((p: string) => fileStateStore(p)),
    isRoot: deps.isRoot ?? (() => process.geteuid?.() === 0),
    loadModel: deps.loadModel ?? defaultLoadModel,
    out: deps.out ?? ((s: string) => void process.stdout.write(s)),
    err: deps.err ?? ((s: string) => void process.stderr.write(s)),
  };
}

function requireRoot(isRoot: () => boolean, cmd: string): void {
  if (!isRoot()) throw new RealserverError('RS_NOT_ROOT', `lvsd realserver ${cmd} must run as root: it changes addresses on lo and sysctls under /proc/sys (try: sudo lvsd realserver ${cmd} …, or --dry-run to see the plan)`);
}

interface VipChoice {
  readonly vips: Vip[];
  readonly notes: string[];
  readonly model?: Model | undefined;
}

async function wantedVips(o: UpOptions, host: HostSnapshot, loadModel: (p: string) => Promise<Model>): Promise<VipChoice> {
  const given = (o.vip ?? []).map(parseVip);
  if (!o.configFile) return { vips: uniqueVips(given), notes: [] };
  const model = await loadModel(o.configFile);
  const own = nonLoopbackAddresses(host);
  const fromFile = vipsFromModel(model, own);
  if (fromFile.vips.length === 0 && given.length === 0) {
    const mine = own.map((a) => a.address).join(', ') || 'none';
    throw new RealserverError('RS_NO_VIPS', `${o.configFile} has no DR virtual_server with a real_server among this host's addresses (${mine}); give the VIPs with --vip`);
  }
  return { vips: uniqueVips([...given, ...fromFile.vips]), notes: [...fromFile.notes], model };
}

/** runSteps applies steps in order and returns each step's outcome; with stopOnFailure, the steps after a failure are skipped. */
async function runSteps(net: NetPort, proc: ProcPort, steps: readonly Step[], stopOnFailure: boolean, err: (s: string) => void): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  let stopped = false;
  for (const s of steps) {
    if (!s.action) outcomes.push('changed');
    else if (stopped) outcomes.push('skipped');
    else {
      try {
        outcomes.push(await applyAction(net, proc, s.action));
      } catch (e) {
        outcomes.push('failed');
        err(`lvsd: ${e instanceof RealserverError ? `[${e.code}] ` : ''}${(e as Error).message}\n`);
        stopped = stopOnFailure;
      }
    }
  }
  return outcomes;
}

// an address someone else added meanwhile is not lvsd's to record; one deleted meanwhile is gone all the same
function succeeded(steps: readonly Step[], outcomes: readonly StepOutcome[]): (i: number) => boolean {
  return (i) => outcomes[i] === 'changed' || (outcomes[i] === 'unchanged' && steps[i]?.action?.kind !== 'add-address');
}

/** runUp puts the VIPs on lo and makes the ARP settings: idempotent, recorded before it changes anything. */
export async function runUp(o: UpOptions, deps: RealserverDeps = {}): Promise<RunResult> {
  const d = resolve(deps);
  (o.vip ?? []).forEach(parseVip);
  if (!o.dryRun) requireRoot(d.isRoot, 'up');
  if (!o.configFile && (o.vip ?? []).length === 0) throw new RealserverError('RS_NO_VIPS', 'no VIPs: give them with --vip ADDR (repeatable) or take them from the cluster configuration with -f FILE');
  const store = d.store(o.stateFile ?? DEFAULT_STATE_FILE);
  const prev = store.load();
  const net = d.openNet();
  try {
    const host = await readSnapshot(net, d.proc, prev.sysctls.map((r) => r.name));
    const wanted = await wantedVips(o, host, d.loadModel);
    const interfaces = facingInterfaces(host, o.interface ?? []);
    const plan = planUp(host, { vips: wanted.vips, interfaces, labels: o.label ?? false }, prev);
    const notes = wanted.notes.map((n) => `note: ${n}`);
    const actions = plan.steps.filter((s) => s.action).length;
    const v6 = plan.steps.some((s) => s.action?.kind === 'add-address' && s.action.family === 'inet6') ? IPV6_NOTES.map((n) => `ipv6: ${n}`) : [];
    if (o.dryRun) {
      const lines = [...notes, ...renderSteps(plan.steps, plan.steps.map(() => 'planned')), ...v6, `up (dry run): ${actions} change${actions === 1 ? '' : 's'} planned`];
      d.out(`${lines.join('\n')}\n`);
      return { changes: 0, failures: 0, state: prev };
    }
    const ahead = writeAheadState(prev, plan.steps);
    if (!sameState(ahead, prev)) store.save(ahead);
    const outcomes = await runSteps(net, d.proc, plan.steps, true, d.err);
    const next = stateAfter(prev, plan.steps, succeeded(plan.steps, outcomes));
    if (!sameState(next, ahead)) store.save(next);
    const changes = outcomes.filter((x, i) => x === 'changed' && plan.steps[i]!.action).length;
    const failures = outcomes.filter((x) => x === 'failed').length;
    const after = await readSnapshot(net, d.proc);
    const dangers = findDangers({ host: after, vips: wanted.vips, interfaces, vrrpVips: vrrpVipKeys(wanted.model) });
    const summary =
      failures > 0
        ? `up: ${failures} step${failures === 1 ? '' : 's'} failed after ${changes} change${changes === 1 ? '' : 's'}; what changed is recorded in ${store.path}`
        : changes === 0
          ? `up: no changes — ${wanted.vips.length} VIP${wanted.vips.length === 1 ? '' : 's'} on lo and every setting in place`
          : `up: ${changes} change${changes === 1 ? '' : 's'}; recorded in ${store.path} for lvsd realserver down`;
    d.out(`${[...notes, ...renderSteps(plan.steps, outcomes), ...v6, summary].join('\n')}\n`);
    for (const x of dangers) d.err(`${renderDanger(x)}\n`);
    if (failures > 0) throw new RealserverError('RS_KERNEL', `up did not complete (${failures} failure${failures === 1 ? '' : 's'}); run it again once fixed, or lvsd realserver down to undo what it did`);
    return { changes, failures, state: next };
  } finally {
    net.close();
  }
}

/** runDown undoes what the state file records: the addresses lvsd added, then the settings it changed, back to their previous values. */
export async function runDown(o: DownOptions, deps: RealserverDeps = {}): Promise<RunResult> {
  const d = resolve(deps);
  if (!o.dryRun) requireRoot(d.isRoot, 'down');
  const store = d.store(o.stateFile ?? DEFAULT_STATE_FILE);
  const prev = store.load();
  if (isEmptyState(prev)) {
    const exists = store.exists();
    if (!o.dryRun && exists) store.remove();
    d.out(`down: nothing to undo (${exists ? `${store.path} records nothing` : `no state file ${store.path}`})\n`);
    return { changes: 0, failures: 0, state: prev };
  }
  const net = d.openNet();
  try {
    const host = await readSnapshot(net, d.proc, prev.sysctls.map((r) => r.name));
    const plan = planDown(host, prev);
    const actions = plan.steps.filter((s) => s.action).length;
    if (o.dryRun) {
      d.out(`${[...renderSteps(plan.steps, plan.steps.map(() => 'planned')), `down (dry run): ${actions} change${actions === 1 ? '' : 's'} planned`].join('\n')}\n`);
      return { changes: 0, failures: 0, state: prev };
    }
    const outcomes = await runSteps(net, d.proc, plan.steps, false, d.err);
    const next = stateAfter(prev, plan.steps, succeeded(plan.steps, outcomes));
    if (isEmptyState(next)) store.remove();
    else store.save(next);
    const changes = outcomes.filter((x, i) => x === 'changed' && plan.steps[i]!.action).length;
    const failures = outcomes.filter((x) => x === 'failed').length;
    const summary = failures > 0 ? `down: ${failures} step${failures === 1 ? '' : 's'} failed; ${store.path} keeps what is left to undo` : `down: ${changes} change${changes === 1 ? '' : 's'}; the host is as it was before up (state file removed)`;
    d.out(`${[...renderSteps(plan.steps, outcomes), summary].join('\n')}\n`);
    if (failures > 0) throw new RealserverError('RS_KERNEL', `down did not complete (${failures} failure${failures === 1 ? '' : 's'}); run it again once fixed`);
    return { changes, failures, state: next };
  } finally {
    net.close();
  }
}

/** runStatus reports each VIP and setting and the dangers; RS_NOT_READY (exit 2) when the host cannot serve DR traffic. */
export async function runStatus(o: StatusOptions, deps: RealserverDeps = {}): Promise<StatusReport> {
  const d = resolve(deps);
  const store = d.store(o.stateFile ?? DEFAULT_STATE_FILE);
  const state = store.load();
  const net = d.openNet();
  let report: StatusReport;
  try {
    const host = await readSnapshot(net, d.proc);
    const named = o.configFile || (o.vip ?? []).length > 0;
    const wanted = named ? await wantedVips(o, host, d.loadModel) : { vips: loopbackVips(host, state), notes: [], model: undefined };
    const interfaces = facingInterfaces(host, o.interface ?? []);
    report = buildStatus({ host, vips: wanted.vips, interfaces, vrrpVips: vrrpVipKeys(wanted.model) }, state, store.path);
    if (o.json) d.out(`${JSON.stringify(report, null, 2)}\n`);
    else d.out(`${[...wanted.notes.map((n) => `note: ${n}`), ...renderStatus(report)].join('\n')}\n`);
  } finally {
    net.close();
  }
  if (!report.ok) {
    const n = report.dangers.filter((x) => x.severity === 'error').length;
    throw new RealserverError('RS_NOT_READY', `this host cannot serve DR traffic safely (${n} error${n === 1 ? '' : 's'} above)`, 2);
  }
  return report;
}
