// VRRP layer (pure): the IPVS connection sync daemon operations that follow an instance's state (keepalived's lvs_sync_daemon).
import type { LvsSyncDaemon, VrrpInstance } from '../config/model.js';
import type { IpvsOp } from '../ipvs/types.js';

/** STOP_SYNC_DAEMONS stops both daemons (each fails with ESRCH when it is not running, which callers ignore). */
export const STOP_SYNC_DAEMONS: readonly IpvsOp[] = [
  { op: 'stop-daemon', state: 'master' },
  { op: 'stop-daemon', state: 'backup' },
];

/**
 * syncDaemonOps are the operations for `lvs_sync_daemon IF [INSTANCE]` when `inst` enters `state` (MASTER, BACKUP,
 * FAULT or STOP): the master daemon while the instance is Master, the backup daemon otherwise, none once it stops;
 * undefined when no daemon is configured or it follows another instance. The sync id defaults to the VRID.
 */
export function syncDaemonOps(sd: LvsSyncDaemon | undefined, inst: VrrpInstance, state: string): IpvsOp[] | undefined {
  if (!sd || (sd.instance !== undefined && sd.instance !== inst.name)) return undefined;
  const daemon = (role: 'master' | 'backup') => ({ state: role, mcastInterface: sd.interface, syncId: sd.syncId ?? inst.virtualRouterId, syncMaxLen: sd.maxLen, mcastGroup: sd.group, mcastPort: sd.port, mcastTtl: sd.ttl });
  if (state === 'MASTER') return [{ op: 'stop-daemon', state: 'backup' }, { op: 'start-daemon', daemon: daemon('master') }];
  if (state === 'STOP') return [...STOP_SYNC_DAEMONS];
  return [{ op: 'stop-daemon', state: 'master' }, { op: 'start-daemon', daemon: daemon('backup') }];
}
