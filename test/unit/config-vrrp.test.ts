// Unit tests: vrrp_script, vrrp_instance, vrrp_sync_group and global_defs keywords, with keepalived's defaults.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type VrrpInstance } from '../../src/config/index.js';

const F = '/etc/keepalived/keepalived.conf';

function parse(text: string) {
  return parseConfig(F, memoryFs({ [F]: text }));
}

function instance(body: string, before = ''): VrrpInstance {
  const r = parse(`${before}vrrp_instance VI_1 {\n${body}\n}`);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const i = r.model?.vrrp.instances[0];
  if (!i) throw new Error('no instance');
  return i;
}

describe('config vrrp: vrrp_script', () => {
  it('reads every keyword and splits the script like keepalived', () => {
    const r = parse('vrrp_script chk {\n script "/bin/sh -c \'pidof nginx\'"\n interval 2\n timeout 3\n weight -30 reverse\n rise 4\n fall 5\n user nginx www\n init_fail\n}');
    expect(r.diagnostics).toEqual([]);
    expect(r.model?.vrrp.scripts[0]).toMatchObject({
      name: 'chk',
      script: { argv: ['/bin/sh', '-c', 'pidof nginx'], user: 'nginx', group: 'www' },
      interval: 2,
      timeout: 3,
      weight: -30,
      weightReverse: true,
      rise: 4,
      fall: 5,
      initFail: true,
    });
  });

  it("applies keepalived's defaults: interval 1, timeout = interval, weight 0, rise 1, fall 1", () => {
    const r = parse('vrrp_script chk {\n script "killall -0 nginx"\n interval 3\n}');
    expect(r.model?.vrrp.scripts[0]).toMatchObject({ script: { argv: ['killall', '-0', 'nginx'] }, interval: 3, timeout: 3, weight: 0, rise: 1, fall: 1, initFail: false, weightReverse: false });
  });

  it('warns that unquoted script arguments are ignored, as keepalived ignores them', () => {
    const r = parse('vrrp_script chk {\n script killall -0 nginx\n}');
    expect(r.model?.vrrp.scripts[0]?.script.argv).toEqual(['killall']);
    expect(r.diagnostics).toMatchObject([{ code: 'EXTRA_ARGUMENTS', line: 2 }]);
  });

  it('rejects a script block without a script and a weight out of range', () => {
    expect(parse('vrrp_script chk {\n interval 1\n}').diagnostics).toMatchObject([{ code: 'MISSING_REQUIRED', line: 1 }]);
    expect(parse('vrrp_script chk {\n script /bin/true\n weight 300\n}').diagnostics).toMatchObject([{ code: 'OUT_OF_RANGE', line: 3, column: 9 }]);
  });
});

describe('config vrrp: vrrp_instance', () => {
  it("applies keepalived's defaults", () => {
    const i = instance(' interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.100\n }');
    expect(i).toMatchObject({
      state: 'BACKUP',
      interface: 'eth0',
      family: 'inet',
      virtualRouterId: 51,
      priority: 100,
      advertInt: 1,
      version: 2,
      preempt: true,
      preemptDelay: 0,
      unicastPeers: [],
      trackScripts: [],
      trackInterfaces: [],
      garp: { masterDelay: 5, masterRepeat: 5, masterRefresh: 0, masterRefreshRepeat: 1, lowerPrioDelay: 5, lowerPrioRepeat: 5 },
      smtpAlert: false,
      strictMode: false,
    });
    expect(i.virtualIpAddresses).toMatchObject([{ address: '10.0.0.100', prefix: 32, dev: 'eth0', family: 'inet', noTrack: false }]);
    expect(i.authentication).toBeUndefined();
  });

  it('reads the instance keywords of the L1/L2 layouts', () => {
    const i = instance(
      ` state MASTER
        interface ens33
        virtual_router_id 67
        priority 150
        advert_int 0.5
        preempt_delay 0
        authentication {
          auth_type PASS
          auth_pass 1111
        }
        unicast_src_ip 192.168.67.11
        unicast_peer {
          192.168.67.12
          192.168.67.13 min_ttl 2 max_ttl 64
        }
        track_interface {
          ens33
          ens34 weight -10 reverse
        }
        track_script {
          chk_nginx
          chk_other weight 5
        }
        notify_master "/etc/keepalived/notify.sh master"
        notify_backup /etc/keepalived/backup.sh root
        notify_fault "/etc/keepalived/notify.sh fault"
        notify_stop /etc/keepalived/stop.sh
        notify /etc/keepalived/any.sh
        garp_master_delay 1
        garp_master_repeat 2
        garp_master_refresh 30
        garp_master_refresh_repeat 3
        vrrp_version 3
        smtp_alert`,
      'vrrp_script chk_nginx {\n script /bin/true\n weight -20\n}\nvrrp_script chk_other {\n script /bin/true\n}\n',
    );
    expect(i).toMatchObject({
      state: 'MASTER',
      interface: 'ens33',
      priority: 150,
      advertInt: 0.5,
      version: 3,
      authentication: { type: 'PASS', password: '1111' },
      unicastSrcIp: '192.168.67.11',
      unicastPeers: [
        { address: '192.168.67.12', family: 'inet', minTtl: 0, maxTtl: 255 },
        { address: '192.168.67.13', minTtl: 2, maxTtl: 64 },
      ],
      checkUnicastSrc: true,
      trackInterfaces: [
        { name: 'ens33', weight: 0, reverse: false },
        { name: 'ens34', weight: -10, reverse: true },
      ],
      trackScripts: [
        { name: 'chk_nginx', weight: -20, reverse: false },
        { name: 'chk_other', weight: 5, reverse: false },
      ],
      notify: {
        master: { argv: ['/etc/keepalived/notify.sh', 'master'] },
        backup: { argv: ['/etc/keepalived/backup.sh'], user: 'root' },
        fault: { argv: ['/etc/keepalived/notify.sh', 'fault'] },
        stop: { argv: ['/etc/keepalived/stop.sh'] },
        any: { argv: ['/etc/keepalived/any.sh'] },
      },
      garp: { masterDelay: 1, masterRepeat: 2, masterRefresh: 30, masterRefreshRepeat: 3, lowerPrioDelay: 1, lowerPrioRepeat: 2 },
      smtpAlert: true,
    });
  });

  it('reads virtual_ipaddress with prefix, dev, label, scope, brd and no_track', () => {
    const i = instance(' interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.168.1.120/24 dev eth1 label eth1:0 scope global brd +\n  192.168.1.121/24 brd 192.168.1.255 no_track\n  192.168.1.122/28 brd -\n }\n virtual_ipaddress_excluded {\n  2001:db8::10/64\n }');
    expect(i.virtualIpAddresses).toMatchObject([
      { address: '192.168.1.120', prefix: 24, dev: 'eth1', label: 'eth1:0', scope: 'global', broadcast: '192.168.1.255' },
      { address: '192.168.1.121', prefix: 24, dev: 'eth0', broadcast: '192.168.1.255', noTrack: true },
      { address: '192.168.1.122', prefix: 28, broadcast: '192.168.1.112' },
    ]);
    expect(i.virtualIpAddressesExcluded).toMatchObject([{ address: '2001:db8::10', prefix: 64, family: 'inet6', dev: 'eth0' }]);
  });

  it('makes an IPv6 instance use VRRP version 3', () => {
    expect(instance(' interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  fe80::1\n  2001:db8::1/64\n }')).toMatchObject({ family: 'inet6', version: 3 });
  });

  it('warns (only) when a multicast IPv6 instance lists a global address first, as keepalived notes', () => {
    const body = (vips: string, extra = '') => `vrrp_instance VI6 {\n interface eth0\n virtual_router_id 61\n${extra} virtual_ipaddress {\n${vips}\n }\n}\n`;
    const global = parse(body('  2001:db8::131/64\n  fe80::61/64'));
    expect(global.diagnostics).toMatchObject([{ severity: 'warning', code: 'INVALID_ADDRESS', line: 5, message: expect.stringMatching(/first IPv6 virtual address 2001:db8::131 is not link-local/) }]);
    expect(global.model?.vrrp.instances[0]?.virtualIpAddresses.map((v) => v.address)).toEqual(['2001:db8::131', 'fe80::61']);
    // link-local first, a unicast instance (keepalived checks multicast ones only), or IPv4: nothing to say
    expect(parse(body('  fe80::61/64\n  2001:db8::131/64')).diagnostics).toEqual([]);
    expect(parse(body('  2001:db8::131/64', ' unicast_src_ip 2001:db8::121\n unicast_peer {\n  2001:db8::122\n }\n')).diagnostics).toEqual([]);
    expect(parse(body('  192.168.56.131/24')).diagnostics).toEqual([]);
  });

  it('starts an address owner (priority 255) as MASTER and keeps nopreempt for BACKUP', () => {
    expect(instance(' interface eth0\n virtual_router_id 1\n priority 255').state).toBe('MASTER');
    expect(instance(' state BACKUP\n interface eth0\n virtual_router_id 1\n nopreempt').preempt).toBe(false);
  });

  it('clears nopreempt and preempt_delay for an initial MASTER, with warnings, as keepalived does', () => {
    const r = parse('vrrp_instance VI_1 {\n state MASTER\n nopreempt\n preempt_delay 5\n interface eth0\n virtual_router_id 1\n}');
    expect(r.model?.vrrp.instances[0]).toMatchObject({ preempt: true, preemptDelay: 0 });
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(['IGNORED_SETTING 3', 'IGNORED_SETTING 4']);
  });

  it('drops authentication written on one line, warning as keepalived does', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n authentication { auth_type PASS auth_pass 1111 }\n}');
    expect(r.model?.vrrp.instances[0]?.authentication).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['IGNORED_SETTING 4:2', 'EXTRA_ARGUMENTS 4:34']);
  });

  it('truncates auth_pass to 8 characters with a warning', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n authentication {\n auth_type AH\n auth_pass 0123456789\n }\n}');
    expect(r.model?.vrrp.instances[0]?.authentication).toEqual({ type: 'AH', password: '01234567' });
    expect(r.diagnostics).toMatchObject([{ code: 'IGNORED_SETTING' }]);
  });

  it('requires virtual_router_id and an interface (unless unicast)', () => {
    expect(parse('vrrp_instance VI_1 {\n interface eth0\n}').diagnostics).toMatchObject([{ code: 'MISSING_REQUIRED', line: 1, column: 15 }]);
    expect(parse('vrrp_instance VI_1 {\n virtual_router_id 1\n}').diagnostics).toMatchObject([{ code: 'MISSING_REQUIRED', line: 1 }]);
    expect(parse('vrrp_instance VI_1 {\n virtual_router_id 1\n unicast_peer {\n 10.0.0.2\n }\n}').diagnostics).toEqual([]);
  });

  it('rejects out-of-range priority and bad addresses', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 256\n unicast_src_ip 10.0.0\n virtual_ipaddress {\n  10.0.0.300/24\n }\n}');
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['OUT_OF_RANGE 4:11', 'INVALID_ADDRESS 5:17', 'INVALID_ADDRESS 7:3']);
  });

  it('rejects the loopback interface, which keepalived refuses', () => {
    expect(parse('vrrp_instance A {\n interface lo\n virtual_router_id 1\n}').diagnostics).toMatchObject([{ code: 'INVALID_VALUE', line: 2, column: 12 }]);
  });

  it('rejects mixed VIP families and a reused virtual_router_id on one interface', () => {
    expect(parse('vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n 2001:db8::1\n }\n}').diagnostics).toMatchObject([{ code: 'FAMILY_MISMATCH' }]);
    const two = 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 1\n}';
    expect(parse(two).diagnostics).toMatchObject([{ code: 'DUPLICATE', line: 5 }]);
  });

  it('warns about a track_script that names no vrrp_script, and ignores it', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n track_script {\n  nope\n }\n}');
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', code: 'UNDEFINED_REFERENCE', line: 5, column: 3 }]);
    expect(r.model?.vrrp.instances[0]?.trackScripts).toEqual([]);
  });

  it('moves the deprecated lvs_sync_daemon_interface to the global sync daemon', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n lvs_sync_daemon_interface eth1\n}');
    expect(r.model?.global.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1' });
    expect(r.diagnostics).toMatchObject([{ code: 'DEPRECATED_KEYWORD', line: 4 }]);
  });
});

describe('config vrrp: vrrp_sync_group', () => {
  const two = 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n';

  it('reads group members, notify scripts and smtp_alert', () => {
    const r = parse(`${two}vrrp_sync_group G {\n group {\n  A\n  B\n }\n notify_master "/n.sh master"\n notify_backup /n.sh\n notify_fault /n.sh\n notify /all.sh\n smtp_alert\n}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.model?.vrrp.syncGroups[0]).toMatchObject({ name: 'G', instances: ['A', 'B'], notify: { master: { argv: ['/n.sh', 'master'] }, any: { argv: ['/all.sh'] } }, smtpAlert: true });
  });

  it('warns about unknown members', () => {
    const r = parse(`${two}vrrp_sync_group G {\n group {\n  A\n  B\n  C\n }\n}`);
    expect(r.diagnostics).toMatchObject([{ code: 'UNDEFINED_REFERENCE', line: 13 }]);
  });
});

describe('config vrrp: global_defs', () => {
  it('reads the director and script settings', () => {
    const r = parse(`global_defs {
      router_id LVS_1
      script_user keepalived_script users
      enable_script_security
      lvs_flush
      lvs_flush_on_stop VS
      lvs_timeouts tcp 900 tcpfin 30 udp 60
      lvs_sync_daemon eth1 inst VI_1 id 5 maxlen 1400 port 8848 ttl 2 group 224.0.0.81
      notification_email {
        a@example.com
        b@example.com
      }
      notification_email_from lb@example.com
      smtp_server 10.0.0.25 2525
      smtp_connect_timeout 30
      vrrp_version 3
      vrrp_mcast_group4 224.0.0.19
      vrrp_garp_master_delay 2
      vrrp_garp_master_repeat 4
      vrrp_garp_master_refresh 60
      vrrp_garp_master_refresh_repeat 2
      vrrp_garp_interval 0.001
      vrrp_gna_interval 0
      vrrp_strict
      vrrp_skip_check_adv_addr
    }`);
    expect(r.diagnostics).toMatchObject([{ code: 'UNDEFINED_REFERENCE' }]);
    expect(r.model?.global).toMatchObject({
      routerId: 'LVS_1',
      scriptUser: { user: 'keepalived_script', group: 'users' },
      enableScriptSecurity: true,
      lvsFlush: true,
      lvsFlushOnStop: 'vs',
      lvsTimeouts: { tcp: 900, tcpFin: 30, udp: 60 },
      lvsSyncDaemon: { interface: 'eth1', instance: 'VI_1', syncId: 5, maxLen: 1400, port: 8848, ttl: 2, group: '224.0.0.81' },
      notificationEmail: ['a@example.com', 'b@example.com'],
      notificationEmailFrom: 'lb@example.com',
      smtpServer: { host: '10.0.0.25', port: 2525 },
      smtpConnectTimeout: 30,
      vrrp: { version: 3, mcastGroup4: '224.0.0.19', garpMasterDelay: 2, garpMasterRepeat: 4, garpMasterRefresh: 60, garpMasterRefreshRepeat: 2, garpInterval: 0.001, gnaInterval: 0, strict: true, skipCheckAdvAddr: true },
    });
  });

  it('accepts the old lvs_sync_daemon IF INSTANCE SYNCID form', () => {
    const r = parse('global_defs {\n lvs_sync_daemon eth1 VI_1 7\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}');
    expect(r.model?.global.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 7 });
  });

  it('makes instances inherit the global vrrp settings and strict mode', () => {
    const i = instance(' interface eth0\n virtual_router_id 1', 'global_defs {\n vrrp_version 3\n vrrp_garp_master_delay 1\n vrrp_strict\n}\n');
    expect(i).toMatchObject({ version: 3, strictMode: true, lowerPrioNoAdvert: true, garp: { masterDelay: 1, lowerPrioDelay: 1 } });
  });

  it('reads vrrp_startup_delay, vrrp_garp_interval and vrrp_gna_interval in seconds and rejects them out of range', () => {
    const r = parse('global_defs {\n vrrp_startup_delay 5.5\n vrrp_garp_interval 0.01\n vrrp_gna_interval 0.000001\n}');
    expect(r.diagnostics).toEqual([]);
    expect(r.model?.global.vrrp).toMatchObject({ startupDelay: 5.5, garpInterval: 0.01, gnaInterval: 0.000001 });
    expect(parse('global_defs {\n vrrp_startup_delay 5\n}').model?.global.vrrp.garpInterval).toBe(0);
    expect(parse('global_defs {\n vrrp_garp_interval 2\n}').diagnostics).toMatchObject([{ code: 'OUT_OF_RANGE', line: 2 }]);
    expect(parse('global_defs {\n vrrp_startup_delay -1\n}').diagnostics).toMatchObject([{ code: 'INVALID_VALUE', line: 2 }]);
  });

  it('rejects a bad lvs_timeouts option', () => {
    expect(parse('global_defs {\n lvs_timeouts tcp 1 fin 2\n}').diagnostics).toMatchObject([{ code: 'INVALID_VALUE', line: 2, column: 21 }]);
  });
});
