// Unit tests: a director that is one of its own real servers (layout L4) — when lvsd sets net.ipv4.vs.backup_only,
// what it warns about instead, and how it sets and puts back the sysctl (fake edges).
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { memoryFs, nodeFs, parseConfig, type Model } from '../../src/config/index.js';
import { backupOnlyPlan, standAside, type SelfDirectorDeps } from '../../src/daemon/backup-only.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const F = '/etc/keepalived/keepalived.conf';

function example(name: string): Model {
  const m = parseConfig(`${EXAMPLES}${name}`, nodeFs).model;
  if (!m) throw new Error(name);
  return m;
}

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

const vrrp = (sync: string) => `global_defs {
    ${sync}
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 120
    priority 90
    virtual_ipaddress {
        192.168.1.120/24
    }
}
`;
const vs = (kind: string) => `virtual_server 192.168.1.120 80 {
    lb_algo wrr
    lb_kind ${kind}
    protocol TCP
    real_server 192.168.1.103 80 {
        weight 1
    }
    real_server 192.168.1.104 80 {
        weight 5
    }
}
`;

describe('backupOnlyPlan', () => {
  it('sets backup_only on both L4 directors of the example, each of which is one of its own real servers', () => {
    const backup = backupOnlyPlan(example('l4-directors-as-real-servers/backup.conf'), new Set(['127.0.0.1', '192.168.1.103', '192.168.1.120']));
    expect(backup).toEqual({ set: true, own: ['[192.168.1.120]:tcp:80 -> 192.168.1.103:80'], warnings: [] });
    const master = backupOnlyPlan(example('l4-directors-as-real-servers/master.conf'), new Set(['192.168.1.104']));
    expect(master).toMatchObject({ set: true, own: ['[192.168.1.120]:tcp:80 -> 192.168.1.104:80'] });
  });

  it('leaves L2 directors alone: none of them is a real server of its own file', () => {
    expect(backupOnlyPlan(example('l2-dr-directors/lvs1.conf'), new Set(['192.168.56.121', '192.168.56.131']))).toEqual({ set: false, own: [], warnings: [] });
  });

  it('ignores NAT real servers and a director without VRRP (no peer to loop with)', () => {
    const local = new Set(['192.168.1.103']);
    expect(backupOnlyPlan(model(vrrp('lvs_sync_daemon eth0 VI_1') + vs('NAT')), local)).toMatchObject({ set: false, own: [] });
    expect(backupOnlyPlan(model(vs('DR')), local)).toMatchObject({ set: false, own: ['[192.168.1.120]:tcp:80 -> 192.168.1.103:80'], warnings: [] });
  });

  it('warns with what to add when no sync daemon follows the instance, and sets nothing', () => {
    const none = backupOnlyPlan(model(vrrp('router_id x') + vs('DR')), new Set(['192.168.1.103']));
    expect(none.set).toBe(false);
    expect(none.warnings).toEqual([{ code: 'SELF_RS_NO_SYNC_DAEMON', message: expect.stringContaining('add `lvs_sync_daemon <interface> <vrrp_instance>` to global_defs') }]);
    const all = backupOnlyPlan(model(vrrp('lvs_sync_daemon eth0') + vs('DR')), new Set(['192.168.1.103']));
    expect(all).toMatchObject({ set: false, warnings: [{ code: 'SELF_RS_SYNC_ALL_INSTANCES' }] });
  });

  it('sets backup_only but warns when the VIP is not one the synced instance holds', () => {
    const text = vrrp('lvs_sync_daemon eth0 VI_1') + vs('DR').replace('virtual_server 192.168.1.120', 'virtual_server 192.168.1.121');
    const p = backupOnlyPlan(model(text), new Set(['192.168.1.104']));
    expect(p.set).toBe(true);
    expect(p.warnings).toEqual([{ code: 'SELF_RS_VIP_NOT_SYNCED', message: expect.stringContaining('192.168.1.121 is not a VIP of VI_1') }]);
  });
});

describe('standAside', () => {
  function fakes(value: number | undefined, local = ['192.168.1.103']): { deps: SelfDirectorDeps; writes: number[]; lines: Record<string, unknown>[]; standBys: number[]; log: pino.Logger } {
    const writes: number[] = [];
    const lines: Record<string, unknown>[] = [];
    const standBys: number[] = [];
    let v = value;
    return {
      deps: { local: () => new Set(local), read: () => v, write: (n) => void writes.push((v = n)) },
      writes,
      lines,
      standBys,
      log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }),
    };
  }
  const l4 = () => example('l4-directors-as-real-servers/backup.conf');

  it('sets backup_only=1 and starts the backup sync daemon before the table, and puts back 0 on stop', async () => {
    const f = fakes(0);
    const restore = await standAside(l4(), f.log, { standBy: async () => void f.standBys.push(f.writes.length) }, f.deps);
    expect(f.writes).toEqual([1]);
    expect(f.standBys).toEqual([1]); // the sysctl is set before the daemon starts
    expect(f.lines.find((l) => l.event === 'backup-only')).toMatchObject({ previous: 0, own: ['[192.168.1.120]:tcp:80 -> 192.168.1.103:80'] });
    restore();
    expect(f.writes).toEqual([1, 0]);
  });

  it('changes nothing, and puts nothing back, when backup_only is already 1', async () => {
    const f = fakes(1);
    const restore = await standAside(l4(), f.log, { standBy: async () => void f.standBys.push(1) }, f.deps);
    restore();
    expect(f.writes).toEqual([]);
    expect(f.standBys).toEqual([1]);
  });

  it('logs an error and starts no backup daemon when the kernel has no backup_only', async () => {
    const f = fakes(undefined);
    await standAside(l4(), f.log, { standBy: async () => void f.standBys.push(1) }, f.deps);
    expect(f.standBys).toEqual([]);
    expect(f.lines.map((l) => l.event)).toEqual(['backup-only-failed']);
  });

  it('touches nothing on a host that is not one of its real servers', async () => {
    const f = fakes(0, ['192.168.1.10']);
    await standAside(l4(), f.log, { standBy: async () => void f.standBys.push(1) }, f.deps);
    expect([f.writes, f.standBys, f.lines]).toEqual([[], [], []]);
  });
});
