// Daemon layer: a director that is one of its own real servers (layout L4) — the pure decision to set the kernel's
// net.ipv4.vs.backup_only, and the thin edges that read this host's addresses and the sysctl.
//
// The trap: the backup director carries the VIP on lo and has the same IPVS service as the master. What the master
// forwards to it by direct routing would be balanced again by its own IPVS — often back to the master, which
// forwards it again (a loop). With backup_only=1 the kernel disables the director function while the IPVS sync
// daemon runs in backup role, which lvsd keeps in step with the VRRP instance named by `lvs_sync_daemon`: the
// backup then hands those packets to its local stack (nginx), and becomes a director when VRRP makes it Master.
import { readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Model } from '../config/model.js';
import type { Logger } from './log.js';

/** BACKUP_ONLY_SYSCTL is the kernel's switch (per network namespace; present once ip_vs is loaded). */
export const BACKUP_ONLY_SYSCTL = '/proc/sys/net/ipv4/vs/backup_only';

/** SelfDirectorWarning is why backup_only cannot protect this host, with a stable code. */
export interface SelfDirectorWarning {
  readonly code: 'SELF_RS_NO_SYNC_DAEMON' | 'SELF_RS_SYNC_ALL_INSTANCES' | 'SELF_RS_VIP_NOT_SYNCED';
  readonly message: string;
}

/** BackupOnlyPlan is what lvsd does about being one of its own real servers. */
export interface BackupOnlyPlan {
  /** set net.ipv4.vs.backup_only=1 and run the sync daemon in backup role before the table is applied */
  readonly set: boolean;
  /** the virtual servers that list this host, as `VIP:PORT -> RS:PORT` */
  readonly own: readonly string[];
  readonly warnings: readonly SelfDirectorWarning[];
}

/**
 * backupOnlyPlan decides from the model and this host's addresses: when a direct-routing or tunnel virtual server
 * lists one of this host's addresses as a real server and VRRP moves its VIP, backup_only is wanted. It only works
 * with `lvs_sync_daemon IF INSTANCE` naming the instance that holds those VIPs; otherwise a warning says what to add.
 */
export function backupOnlyPlan(model: Model, local: ReadonlySet<string>): BackupOnlyPlan {
  const own: string[] = [];
  const vips = new Set<string>();
  for (const vs of model.virtualServers) {
    for (const rs of vs.realServers) {
      if ((rs.forward !== 'route' && rs.forward !== 'tunnel') || !local.has(rs.address)) continue;
      own.push(`${vs.name} -> ${rs.address}:${rs.port}`);
      for (const k of vs.services) if (k.kind === 'addr') vips.add(k.address);
    }
  }
  const none: BackupOnlyPlan = { set: false, own, warnings: [] };
  // one director serving itself with no VRRP peer has no one to loop with
  if (own.length === 0 || model.vrrp.instances.length === 0) return none;
  const sd = model.global.lvsSyncDaemon;
  const self = `this director is one of its own real servers (${own.join(', ')})`;
  if (!sd) {
    return { ...none, warnings: [{ code: 'SELF_RS_NO_SYNC_DAEMON', message: `${self}: while BACKUP its IPVS would balance again what the master forwards to it (a loop); add \`lvs_sync_daemon <interface> <vrrp_instance>\` to global_defs so that lvsd can set net.ipv4.vs.backup_only` }] };
  }
  if (sd.instance === undefined) {
    return { ...none, warnings: [{ code: 'SELF_RS_SYNC_ALL_INSTANCES', message: `${self}: \`lvs_sync_daemon ${sd.interface}\` names no vrrp_instance, so the sync daemon's role does not follow the instance holding the VIP; name it (lvs_sync_daemon ${sd.interface} <instance>) so that lvsd can set net.ipv4.vs.backup_only` }] };
  }
  const inst = model.vrrp.instances.find((i) => i.name === sd.instance);
  const held = new Set(inst?.virtualIpAddresses.map((v) => v.address) ?? []);
  const missing = [...vips].filter((v) => !held.has(v));
  const warnings: SelfDirectorWarning[] = missing.length === 0 ? [] : [{ code: 'SELF_RS_VIP_NOT_SYNCED', message: `${self}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a VIP of ${sd.instance}, the instance lvs_sync_daemon follows; backup_only stands this host's director aside whenever ${sd.instance} is BACKUP, whichever instance holds those VIPs` }];
  return { set: true, own, warnings };
}

/** localAddresses is every address of this host's interfaces (its network namespace), lo included. */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  return out;
}

/** readBackupOnly reads net.ipv4.vs.backup_only (undefined when the kernel has no such switch). */
export function readBackupOnly(path = BACKUP_ONLY_SYSCTL): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** writeBackupOnly sets net.ipv4.vs.backup_only; it throws the file system's error. */
export function writeBackupOnly(value: number, path = BACKUP_ONLY_SYSCTL): void {
  writeFileSync(path, `${value}\n`);
}

/** SelfDirectorDeps are standAside's edges (fakes in unit tests). */
export interface SelfDirectorDeps {
  readonly local: () => ReadonlySet<string>;
  readonly read: () => number | undefined;
  readonly write: (value: number) => void;
}

const REAL_DEPS: SelfDirectorDeps = { local: localAddresses, read: () => readBackupOnly(), write: (v) => writeBackupOnly(v) };

/**
 * standAside carries out backupOnlyPlan when `lvsd run` starts, before the table is applied: it logs each warning,
 * sets backup_only=1 and starts the sync daemon in backup role (vrrp.standBy). It returns what puts the sysctl back
 * as it was (on stop); nothing when lvsd did not change it.
 */
export async function standAside(model: Model, log: Logger, vrrp: { standBy(): Promise<void> } | undefined, deps: SelfDirectorDeps = REAL_DEPS): Promise<() => void> {
  const plan = backupOnlyPlan(model, deps.local());
  for (const w of plan.warnings) log.warn({ event: 'self-director-warning', code: w.code, own: plan.own }, w.message);
  if (!plan.set) return () => {};
  const previous = deps.read();
  if (previous === undefined) {
    log.error({ event: 'backup-only-failed', own: plan.own }, `${BACKUP_ONLY_SYSCTL} does not exist: this kernel cannot stand the backup director aside; expect loops between the directors`);
    return () => {};
  }
  let changed = false;
  if (previous !== 1) {
    try {
      deps.write(1);
      changed = true;
    } catch (err) {
      log.error({ event: 'backup-only-failed', own: plan.own, err }, `setting ${BACKUP_ONLY_SYSCTL}: ${(err as Error).message}`);
      return () => {};
    }
  }
  log.info({ event: 'backup-only', own: plan.own, previous }, `one of its own real servers (${plan.own.join(', ')}): net.ipv4.vs.backup_only=1, the director function is off while the sync daemon is backup`);
  await vrrp?.standBy();
  return () => {
    if (!changed) return;
    try {
      deps.write(previous);
      log.info({ event: 'backup-only-restored', value: previous }, `net.ipv4.vs.backup_only put back to ${previous}`);
    } catch (err) {
      log.warn({ event: 'backup-only-restore-failed', err }, `putting back ${BACKUP_ONLY_SYSCTL}: ${(err as Error).message}`);
    }
  };
}
