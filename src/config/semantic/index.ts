// Config layer (semantic): the top-level keyword table and the pass from the statement tree to the model.
import type { DiagnosticSink } from '../diagnostics.js';
import type { Model, VirtualServerGroup } from '../model.js';
import type { Statement } from '../parser.js';
import { Sem, type KeywordSpec, type KeywordTable } from './dispatch.js';
import { finishGlobal, GLOBAL_TABLE, newGlobalDraft, type GlobalDraft } from './global.js';
import { readGroup } from './groups.js';
import { GLOBAL_UNSUPPORTED, TOP_UNSUPPORTED } from './known.js';
import { readVirtualServer, type VirtualServerDraft } from './lvs.js';
import { resolveVirtualServers } from './resolve-lvs.js';
import { resolveVrrp } from './resolve-vrrp.js';
import { readInstance, readScript, readSyncGroup, type InstanceDraft, type ScriptDraft, type SyncGroupDraft } from './vrrp.js';

/** TopDraft collects every top-level block while the tree is walked. */
interface TopDraft {
  readonly global: GlobalDraft;
  readonly groups: VirtualServerGroup[];
  readonly virtualServers: VirtualServerDraft[];
  readonly scripts: ScriptDraft[];
  readonly instances: InstanceDraft[];
  readonly syncGroups: SyncGroupDraft[];
}

function block<T>(usage: string, handle: KeywordSpec<T>['handle']): KeywordSpec<T> {
  return { block: 'required', usage, handle };
}

/** TOP_TABLE are the top-level keywords lvsd reads. */
export const TOP_TABLE: KeywordTable<TopDraft> = {
  global_defs: block('global_defs { … }', (t, st, sem) => {
    if (st.args[0]) sem.sink.warning('EXTRA_ARGUMENTS', st.args[0], 'global_defs takes no arguments');
    sem.run(sem.children(st), GLOBAL_TABLE, t.global, { name: 'global_defs', unsupported: GLOBAL_UNSUPPORTED });
  }),
  virtual_server_group: block('virtual_server_group NAME { IP [PORT] | fwmark N … }', (t, st, sem) => {
    const g = readGroup(st, sem);
    if (!g) return;
    if (t.groups.some((o) => o.name === g.name)) sem.sink.error('DUPLICATE', st.args[0] ?? st.keyword, `virtual_server_group ${g.name} is defined twice`);
    else t.groups.push(g);
  }),
  virtual_server: block('virtual_server IP PORT | fwmark N | group NAME { … }', (t, st, sem) => {
    const vs = readVirtualServer(st, sem);
    if (vs) t.virtualServers.push(vs);
  }),
  vrrp_script: block('vrrp_script NAME { script "…" … }', (t, st, sem) => {
    const s = readScript(st, sem);
    if (s) t.scripts.push(s);
  }),
  vrrp_instance: block('vrrp_instance NAME { … }', (t, st, sem) => {
    const i = readInstance(st, sem);
    if (i) t.instances.push(i);
  }),
  vrrp_sync_group: block('vrrp_sync_group NAME { group { … } }', (t, st, sem) => {
    const g = readSyncGroup(st, sem);
    if (g) t.syncGroups.push(g);
  }),
};

/** buildModel walks the statement tree with the keyword tables and resolves defaults, inheritance and references. */
export function buildModel(stmts: readonly Statement[], files: readonly string[], sink: DiagnosticSink): Model {
  const sem = new Sem(sink);
  const top: TopDraft = { global: newGlobalDraft(), groups: [], virtualServers: [], scripts: [], instances: [], syncGroups: [] };
  sem.run(stmts, TOP_TABLE, top, { name: 'the top level', unsupported: TOP_UNSUPPORTED });

  const g = top.global;
  let global = finishGlobal(g);
  const virtualServers = resolveVirtualServers(top.virtualServers, top.groups, { smtpAlert: g.smtpAlert, smtpAlertChecker: g.smtpAlertChecker }, sink);
  const { vrrp, syncDaemon } = resolveVrrp(top.scripts, top.instances, top.syncGroups, global, { smtpAlert: g.smtpAlert, smtpAlertVrrp: g.smtpAlertVrrp }, g.syncDaemonAt, sink);
  if (syncDaemon) global = { ...global, lvsSyncDaemon: syncDaemon };
  return { files, global, virtualServerGroups: top.groups, virtualServers, vrrp };
}
