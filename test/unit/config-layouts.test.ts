// Unit tests: the configurations of the four user layouts and a real-world style file parse (from disk) as intended.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { loadConfig, nodeFs, parseConfig, type Model } from '../../src/config/index.js';

const DIR = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
// the layouts' configurations are the project's examples
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function load(name: string): Model {
  const r = parseConfig(`${EXAMPLES}${name}`, nodeFs);
  expect(r.diagnostics).toEqual([]);
  if (!r.model) throw new Error(`${name}: no model`);
  return r.model;
}

function table(m: Model): string[] {
  return m.virtualServers.flatMap((v) =>
    v.realServers.map((r) => {
      const c = r.checkers[0];
      const check = c ? `${c.connectIp}:${c.connectPort} t${c.connectTimeout} r${c.retry} d${c.delayBeforeRetry} loop${c.delayLoop}` : 'none';
      return `${v.name} ${v.scheduler} ${v.forward} p${v.persistence?.timeout ?? 0} -> ${r.address}:${r.port} w${r.weight} ${r.forward} [${check}]`;
    }),
  );
}

function vrrp(m: Model): string[] {
  return m.vrrp.instances.map(
    (i) => `${i.name} ${i.state} ${i.interface ?? '-'} vrid${i.virtualRouterId} prio${i.priority} adv${i.advertInt} ${i.preempt ? 'preempt' : 'nopreempt'} ${i.authentication?.password ?? '-'} ${i.virtualIpAddresses.map((v) => `${v.address}/${v.prefix}`).join(',')}`,
  );
}

describe('config layouts', () => {
  const examples = (readdirSync(EXAMPLES, { recursive: true }) as string[]).filter((f) => f.endsWith('.conf')).sort();
  it('finds every layout among the examples', () => expect(examples.map((f) => f.split('/')[0]).filter((d, i, a) => a.indexOf(d) === i)).toHaveLength(4));
  it.each(examples)('lvsd check accepts examples/%s with nothing to say', (name) => {
    const said: string[] = [];
    runCheck({ configFile: `${EXAMPLES}${name}` }, { out: (s) => said.push(s), err: (s) => said.push(s) });
    expect(said).toEqual([]);
  });
  it.each(examples)('parses examples/%s without any diagnostic', (name) => {
    expect(load(name).files).toEqual([`${EXAMPLES}${name}`]);
  });

  it('L2: LVS1 is master of VI_1, backup of VI_2, and serves both VIPs by direct routing', () => {
    const m = load('l2-dr-directors/lvs1.conf');
    expect(m.global.routerId).toBe('LVS1');
    expect(vrrp(m)).toEqual(['VI_1 MASTER eth1 vrid51 prio100 adv1 preempt 1111 192.168.56.131/32', 'VI_2 BACKUP eth1 vrid52 prio80 adv1 preempt 2222 192.168.56.132/32']);
    expect(table(m)).toEqual([
      '[192.168.56.131]:tcp:80 wrr route p5 -> 192.168.56.101:80 w1 route [192.168.56.101:80 t2 r2 d3 loop6]',
      '[192.168.56.131]:tcp:80 wrr route p5 -> 192.168.56.102:80 w1 route [192.168.56.102:80 t2 r2 d3 loop6]',
      '[192.168.56.132]:tcp:80 rr route p5 -> 192.168.56.101:80 w1 route [192.168.56.101:80 t2 r2 d3 loop6]',
      '[192.168.56.132]:tcp:80 rr route p5 -> 192.168.56.102:80 w1 route [192.168.56.102:80 t2 r2 d3 loop6]',
    ]);
  });

  it('L2: LVS2 mirrors LVS1 with the roles swapped and the same table', () => {
    const [a, b] = [load('l2-dr-directors/lvs1.conf'), load('l2-dr-directors/lvs2.conf')];
    expect(vrrp(b)).toEqual(['VI_1 BACKUP eth1 vrid51 prio80 adv1 preempt 1111 192.168.56.131/32', 'VI_2 MASTER eth1 vrid52 prio100 adv1 preempt 2222 192.168.56.132/32']);
    expect(table(b)).toEqual(table(a));
  });

  it('L1: the nginx pair tracks nginx with a weighted script that restarts it, unicast on both sides, preemption on', () => {
    const master = load('l1-nginx-pair/master.conf');
    expect(master.vrrp.scripts[0]).toMatchObject({ name: 'chk_nginx', script: { argv: ['/etc/keepalived/check_nginx.sh'] }, interval: 2, weight: -30, fall: 2, rise: 2, timeout: 2 });
    expect(vrrp(master)).toEqual(['VI_1 MASTER ens33 vrid67 prio100 adv1 preempt 1111 192.168.67.100/24']);
    expect(master.vrrp.instances[0]).toMatchObject({
      unicastSrcIp: '192.168.67.11',
      unicastPeers: [{ address: '192.168.67.12' }],
      trackScripts: [{ name: 'chk_nginx', weight: -30, reverse: false }],
      notify: { master: { argv: ['/etc/keepalived/notify.sh', 'master'] }, backup: { argv: ['/etc/keepalived/notify.sh', 'backup'] } },
      virtualIpAddresses: [{ dev: 'ens33', label: 'ens33:1' }],
    });
    expect(master.global).toMatchObject({ scriptUser: { user: 'root' }, enableScriptSecurity: true });
    const backup = load('l1-nginx-pair/backup.conf');
    // the pair must speak the same transport, and the backup must preempt a master whose nginx failed (100 - 30 < 80)
    expect(vrrp(backup)).toEqual(['VI_1 BACKUP ens33 vrid67 prio80 adv1 preempt 1111 192.168.67.100/24']);
    expect(backup.vrrp.instances[0]).toMatchObject({ unicastSrcIp: '192.168.67.12', unicastPeers: [{ address: '192.168.67.11' }], trackScripts: [{ weight: -20 }] });
    expect(backup.vrrp.scripts[0]?.script.argv).toEqual(['/etc/keepalived/check_nginx.sh']);
  });

  it('L3: the directors balance over the nginx tier VIPs, and the tier is its own VRRP pair whose script can move a VIP', () => {
    const [d1, d2] = [load('l3-three-tier/director1.conf'), load('l3-three-tier/director2.conf')];
    expect(table(d1).map((l) => l.split(' -> ')[1])).toEqual([
      '192.168.56.111:80 w1 route [192.168.56.111:80 t2 r2 d3 loop6]',
      '192.168.56.112:80 w1 route [192.168.56.112:80 t2 r2 d3 loop6]',
      '192.168.56.111:80 w1 route [192.168.56.111:80 t2 r2 d3 loop6]',
      '192.168.56.112:80 w1 route [192.168.56.112:80 t2 r2 d3 loop6]',
    ]);
    expect(table(d2)).toEqual(table(d1));
    expect(d1.global.lvsTimeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(vrrp(d1)).toEqual(['VI_1 MASTER eth0 vrid51 prio100 adv1 preempt 1111 192.168.56.131/32', 'VI_2 BACKUP eth0 vrid52 prio80 adv1 preempt 2222 192.168.56.132/32']);
    expect(vrrp(d2)).toEqual(['VI_1 BACKUP eth0 vrid51 prio80 adv1 preempt 1111 192.168.56.131/32', 'VI_2 MASTER eth0 vrid52 prio100 adv1 preempt 2222 192.168.56.132/32']);
    const [t1, t2] = [load('l3-three-tier/nginx-server1.conf'), load('l3-three-tier/nginx-server2.conf')];
    expect(vrrp(t1)).toEqual(['VI_11 MASTER eth0 vrid61 prio101 adv1 preempt nginx11 192.168.56.111/32', 'VI_12 BACKUP eth0 vrid62 prio100 adv1 preempt nginx12 192.168.56.112/32']);
    expect(vrrp(t2)).toEqual(['VI_11 BACKUP eth0 vrid61 prio100 adv1 preempt nginx11 192.168.56.111/32', 'VI_12 MASTER eth0 vrid62 prio101 adv1 preempt nginx12 192.168.56.112/32']);
    expect(t1.vrrp.instances.map((i) => i.trackScripts)).toEqual([[{ name: 'chk_nginx', weight: 2, reverse: false }], [{ name: 'chk_nginx', weight: 2, reverse: false }]]);
    // a master that loses its script's weight falls strictly below the healthy backup: the VIP moves
    const weight = t1.vrrp.scripts[0]!.weight;
    expect(t1.vrrp.instances[0]!.priority).toBeLessThan(t2.vrrp.instances[0]!.priority + weight);
  });

  it('L4: directors that are real servers weigh .104 five times .103, and the sync daemon follows VI_1', () => {
    for (const name of ['l4-directors-as-real-servers/master.conf', 'l4-directors-as-real-servers/backup.conf']) {
      const m = load(name);
      expect(table(m)).toEqual([
        '[192.168.1.120]:tcp:80 wrr route p50 -> 192.168.1.103:80 w1 route [192.168.1.103:80 t10 r3 d3 loop6]',
        '[192.168.1.120]:tcp:80 wrr route p50 -> 192.168.1.104:80 w5 route [192.168.1.104:80 t10 r3 d3 loop6]',
      ]);
      expect(m.vrrp.instances[0]?.trackScripts).toEqual([{ name: 'monitor_nginx', weight: -15, reverse: false }]);
      expect(m.vrrp.scripts[0]).toMatchObject({ interval: 1, weight: -15, fall: 2, rise: 2 });
      expect(m.global.lvsSyncDaemon).toMatchObject({ interface: 'eth0', instance: 'VI_1' });
    }
    expect(vrrp(load('l4-directors-as-real-servers/backup.conf'))).toEqual(['VI_1 BACKUP eth0 vrid120 prio90 adv1 preempt 1111 192.168.1.120/24']);
  });

  it('ships every script the examples name, executable', () => {
    for (const f of ['l1-nginx-pair/check_nginx.sh', 'l1-nginx-pair/notify.sh', 'l3-three-tier/chk_nginx.sh', 'l4-directors-as-real-servers/monitor_nginx.sh']) {
      expect(statSync(`${EXAMPLES}${f}`).mode & 0o111, f).toBe(0o111);
    }
  });

  it('returns a deeply frozen model', () => {
    const m = load('l2-dr-directors/lvs1.conf');
    const rs = m.virtualServers[0]?.realServers[0];
    expect(Object.isFrozen(m) && Object.isFrozen(m.virtualServers) && Object.isFrozen(rs) && Object.isFrozen(rs?.checkers[0])).toBe(true);
    expect(() => {
      (rs as { weight: number }).weight = 9;
    }).toThrow(TypeError);
  });
});

describe('config layouts: real-world style file', () => {
  const entry = `${DIR}realworld/keepalived.conf`;

  it('is usable, reads its includes, and warns only about what lvsd does not implement', () => {
    const r = loadConfig(entry);
    expect(r.model?.files.map((f) => f.slice(DIR.length))).toEqual(['realworld/keepalived.conf', 'realworld/conf.d/10-scripts.conf', 'realworld/services/web-a.conf', 'realworld/services/web-b.conf']);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file.slice(DIR.length)}:${d.line}`)).toEqual([
      'warning IGNORED_SETTING realworld/keepalived.conf:48',
      'warning IGNORED_SETTING realworld/keepalived.conf:49',
      'warning DEPRECATED_KEYWORD realworld/keepalived.conf:92',
      'warning UNSUPPORTED_CHECKER realworld/keepalived.conf:135',
      'warning UNSUPPORTED_CHECKER realworld/keepalived.conf:155',
      'warning UNSUPPORTED_CHECKER realworld/keepalived.conf:162',
      'warning UNSUPPORTED_CHECKER realworld/services/web-a.conf:9',
    ]);
  });

  it('builds the group, fwmark, UDP and IPv6 services with their real servers', () => {
    const m = loadConfig(entry).model;
    expect(m?.virtualServers.map((v) => `${v.name} ${v.services.length} ${v.realServers.map((r) => `${r.address}:${r.port}/${r.checkers.length}/${r.skippedCheckers.length}`).join(' ')}`)).toEqual([
      'group WEB_VIPS 5 192.168.100.11:8080/1/1 192.168.100.12:8080/1/0',
      'FWM 100 1 10.20.1.31:0/1/0 10.20.1.32:0/1/1',
      '[10.20.0.10]:udp:53 1 10.20.1.41:53/0/1 10.20.1.42:53/0/1',
      '[2001:db8:20::10]:tcp:443 1 2001:db8:30::31:443/1/0',
    ]);
    expect(m?.virtualServers[0]).toMatchObject({ quorum: 2, hysteresis: 1, alpha: true, omega: true, sorryServer: { address: '192.168.100.250', port: 8080, inhibitOnFailure: true } });
    expect(m?.virtualServers[0]?.realServers[1]?.checkers[0]).toMatchObject({ connectIp: '192.168.100.112', connectPort: 8081, delayLoop: 10, warmup: 10 });
    expect(m?.vrrp.syncGroups[0]?.instances).toEqual(['VI_EXT', 'VI_INT']);
    expect(m?.vrrp.instances[0]?.authentication?.password).toBe('s3cr3t');
    expect(m?.global.notificationEmail).toEqual(['ops@example.com', 'noc@example.com']);
  });
});
