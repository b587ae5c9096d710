// Unit tests: the IPVS sync daemon operations that follow a VRRP instance's state (lvs_sync_daemon).
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { syncDaemonOps } from '../../src/vrrp/sync-daemon.js';

const F = '/etc/keepalived/keepalived.conf';
const model = (global: string) => {
  const text = `global_defs {\n ${global}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\nvrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n}\n`;
  return parseConfig(F, memoryFs({ [F]: text })).model!;
};

describe('syncDaemonOps', () => {
  const m = model('lvs_sync_daemon eth0 VI_1');
  const [vi1, vi2] = m.vrrp.instances as [never, never];
  it('runs the master daemon while the instance is Master and the backup daemon otherwise, with the VRID as sync id', () => {
    expect(syncDaemonOps(m.global.lvsSyncDaemon, vi1, 'MASTER')).toEqual([{ op: 'stop-daemon', state: 'backup' }, { op: 'start-daemon', daemon: expect.objectContaining({ state: 'master', mcastInterface: 'eth0', syncId: 51 }) }]);
    for (const s of ['BACKUP', 'FAULT']) expect(syncDaemonOps(m.global.lvsSyncDaemon, vi1, s)).toEqual([{ op: 'stop-daemon', state: 'master' }, { op: 'start-daemon', daemon: expect.objectContaining({ state: 'backup', syncId: 51 }) }]);
    expect(syncDaemonOps(m.global.lvsSyncDaemon, vi1, 'STOP')).toEqual([{ op: 'stop-daemon', state: 'master' }, { op: 'stop-daemon', state: 'backup' }]);
  });

  it('ignores the instances it does not follow, and does nothing without lvs_sync_daemon', () => {
    expect(syncDaemonOps(m.global.lvsSyncDaemon, vi2, 'MASTER')).toBeUndefined();
    expect(syncDaemonOps(undefined, vi1, 'MASTER')).toBeUndefined();
    const withId = model('lvs_sync_daemon eth0 VI_1 id 7');
    expect(syncDaemonOps(withId.global.lvsSyncDaemon, withId.vrrp.instances[0]!, 'BACKUP')?.[1]).toMatchObject({ daemon: { syncId: 7 } });
  });
});
