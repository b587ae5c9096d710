// Unit tests: virtual_server / real_server / TCP_CHECK keywords, keepalived's defaults and inheritance, groups.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type VirtualServer } from '../../src/config/index.js';

const F = '/etc/keepalived/keepalived.conf';

function parse(text: string) {
  return parseConfig(F, memoryFs({ [F]: text }));
}

function vs(text: string): VirtualServer {
  const r = parse(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const v = r.model?.virtualServers[0];
  if (!v) throw new Error('no virtual server');
  return v;
}

describe('config lvs: defaults', () => {
  it("applies keepalived's documented defaults to a minimal virtual server", () => {
    const v = vs('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n  TCP_CHECK {\n  }\n }\n}');
    expect(v).toMatchObject({
      name: '[10.0.0.1]:tcp:80',
      family: 'inet',
      protocol: 'tcp',
      services: [{ kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }],
      scheduler: 'wlc',
      forward: 'masq',
      delayLoop: 60,
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      haSuspend: false,
      inhibitOnFailure: false,
      onePacket: false,
      schedFlags: [],
      smtpAlert: false,
    });
    expect(v.persistence).toBeUndefined();
    const rs = v.realServers[0];
    expect(rs).toMatchObject({ address: '10.0.0.2', port: 80, weight: 1, forward: 'masq', upperThreshold: 0, lowerThreshold: 0, inhibitOnFailure: false, smtpAlert: true });
    expect(rs?.checkers[0]).toMatchObject({ connectIp: '10.0.0.2', connectPort: 80, connectTimeout: 5, retry: 1, delayBeforeRetry: 1, delayLoop: 60, warmup: 60, alpha: false });
  });

  it('defaults the protocol to UDP with a warning, as keepalived does', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}');
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', code: 'NO_PROTOCOL', line: 1, column: 16 }]);
    expect(r.model?.virtualServers[0]?.protocol).toBe('udp');
  });

  it('ignores a virtual server without real servers, with a warning', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n}');
    expect(r.diagnostics).toMatchObject([{ code: 'NO_REAL_SERVERS', line: 1 }]);
    expect(r.model?.virtualServers).toEqual([]);
  });
});

describe('config lvs: virtual_server keywords', () => {
  it('reads scheduler, method, persistence, protocol and the quorum settings', () => {
    const v = vs(`virtual_server 10.0.0.1 443 {
      delay_loop 6.5
      lb_algo wrr
      lb_kind DR
      persistence_timeout 50
      persistence_granularity 255.255.255.0
      persistence_engine sip
      protocol udp
      ops
      quorum 3
      hysteresis 1
      quorum_up "/bin/up.sh vip 1" root wheel
      quorum_down /bin/down.sh
      alpha
      omega
      ha_suspend
      inhibit_on_failure
      smtp_alert
      virtualhost www.example.com
      real_server 10.0.0.2 443 {
        weight 4
      }
    }`);
    expect(v).toMatchObject({
      delayLoop: 6.5,
      scheduler: 'wrr',
      forward: 'route',
      persistence: { timeout: 50, netmask: 24 },
      persistenceEngine: 'sip',
      protocol: 'udp',
      onePacket: true,
      quorum: 3,
      hysteresis: 1,
      quorumUp: { argv: ['/bin/up.sh', 'vip', '1'], user: 'root', group: 'wheel' },
      quorumDown: { argv: ['/bin/down.sh'] },
      alpha: true,
      omega: true,
      haSuspend: true,
      inhibitOnFailure: true,
      smtpAlert: true,
      virtualhost: 'www.example.com',
    });
    expect(v.realServers[0]).toMatchObject({ inhibitOnFailure: true, alpha: true, virtualhost: 'www.example.com' });
  });

  it('accepts lvs_sched / lvs_method as the new names and sets tunnel options', () => {
    const v = vs('virtual_server 10.0.0.1 80 {\n lvs_sched mh\n mh-port\n mh-fallback\n flag-3\n lvs_method TUN type gue port 6080 csum\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}');
    expect(v).toMatchObject({ scheduler: 'mh', schedFlags: [1, 2, 3], forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['csum'] } });
    expect(v.realServers[0]).toMatchObject({ forward: 'tunnel', tunnel: { type: 'gue', port: 6080 } });
  });

  it('warns and ignores scheduler flags of another scheduler and ops without UDP', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n sh-port\n ops\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}');
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(['IGNORED_SETTING 3', 'IGNORED_SETTING 4']);
    expect(r.model?.virtualServers[0]).toMatchObject({ schedFlags: [], onePacket: false });
  });

  it('rejects an unknown scheduler or forwarding method', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n lb_algo fastest\n lb_kind dr\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}');
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['INVALID_VALUE 2:10', 'INVALID_VALUE 3:10']);
  });

  it('uses 6 minutes when persistence_timeout has no value, and sets it when only a granularity is given', () => {
    expect(vs('virtual_server 10.0.0.1 80 {\n persistence_timeout\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}').persistence).toEqual({ timeout: 360, netmask: 32 });
    expect(vs('virtual_server 2001:db8::1 80 {\n persistence_granularity 64\n protocol TCP\n real_server 2001:db8::2 80 {\n }\n}').persistence).toEqual({ timeout: 360, netmask: 64 });
  });

  it('rejects a non-contiguous persistence netmask', () => {
    expect(parse('virtual_server 10.0.0.1 80 {\n persistence_granularity 255.0.255.0\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}').diagnostics).toMatchObject([{ code: 'INVALID_VALUE', line: 2 }]);
  });

  it('reads a sorry server with inhibit and its own method', () => {
    const v = vs('virtual_server 10.0.0.1 80 {\n lb_kind DR\n protocol TCP\n sorry_server 10.0.0.9 80\n sorry_server_inhibit\n sorry_server_lvs_method NAT\n real_server 10.0.0.2 80 {\n }\n}');
    expect(v.sorryServer).toMatchObject({ address: '10.0.0.9', port: 80, forward: 'masq', inhibitOnFailure: true });
  });

  it('reduces a quorum above the total weight and a hysteresis not below the quorum, with warnings', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 10\n hysteresis 5\n real_server 10.0.0.2 80 {\n weight 3\n }\n}');
    expect(r.model?.virtualServers[0]).toMatchObject({ quorum: 3, hysteresis: 2 });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IGNORED_SETTING', 'IGNORED_SETTING']);
  });

  it('normalizes IPv6 addresses', () => {
    const v = vs('virtual_server 2001:DB8:0:0::1 80 {\n protocol TCP\n real_server 2001:db8::0:2 80 {\n }\n}');
    expect(v.services[0]).toMatchObject({ family: 'inet6', address: '2001:db8::1' });
    expect(v.realServers[0]?.address).toBe('2001:db8::2');
  });

  it('reports a duplicate virtual service', () => {
    const one = 'virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}\n';
    expect(parse(one + one).diagnostics).toMatchObject([{ severity: 'error', code: 'DUPLICATE', line: 6 }]);
  });
});

describe('config lvs: real servers and ports', () => {
  it('gives a direct-routed real server without a port the virtual server port, and resets a different one', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n lb_kind DR\n protocol TCP\n real_server 10.0.0.2 {\n }\n real_server 10.0.0.3 8080 {\n }\n}');
    expect(r.model?.virtualServers[0]?.realServers.map((s) => s.port)).toEqual([80, 80]);
    expect(r.diagnostics).toMatchObject([{ code: 'IGNORED_SETTING', line: 6 }]);
  });

  it('lets NAT change the port', () => {
    expect(vs('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 8080 {\n }\n}').realServers[0]?.port).toBe(8080);
  });

  it('reads every real_server keyword', () => {
    const v = vs(`virtual_server 10.0.0.1 80 {
      protocol TCP
      real_server 10.0.0.2 80 {
        weight 0
        lvs_method DR
        inhibit_on_failure
        notify_up "/etc/keepalived/rs.sh up" nobody
        notify_down /etc/keepalived/rs-down.sh
        uthreshold 1000
        lthreshold 10
        alpha no
        smtp_alert off
        connect_timeout 7
        retry 4
        delay_before_retry 2.5
        warmup 0
        delay_loop 9
        TCP_CHECK {
        }
      }
    }`);
    expect(v.realServers[0]).toMatchObject({
      weight: 0,
      forward: 'route',
      inhibitOnFailure: true,
      notifyUp: { argv: ['/etc/keepalived/rs.sh', 'up'], user: 'nobody' },
      notifyDown: { argv: ['/etc/keepalived/rs-down.sh'] },
      upperThreshold: 1000,
      lowerThreshold: 10,
      alpha: false,
      smtpAlert: false,
    });
    expect(v.realServers[0]?.checkers[0]).toMatchObject({ connectTimeout: 7, retry: 4, delayBeforeRetry: 2.5, warmup: 0, delayLoop: 9 });
  });

  it('warns about a repeated real server and keeps the first', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n weight 2\n }\n real_server 10.0.0.2 80 {\n weight 3\n }\n}');
    expect(r.model?.virtualServers[0]?.realServers.map((s) => s.weight)).toEqual([2]);
    expect(r.diagnostics).toMatchObject([{ code: 'DUPLICATE', line: 6 }]);
  });

  it('rejects a real server of another family unless tunnelled', () => {
    expect(parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 2001:db8::2 80 {\n }\n}').diagnostics).toMatchObject([{ code: 'FAMILY_MISMATCH', line: 3 }]);
    expect(parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind TUN\n real_server 2001:db8::2 80 {\n }\n}').diagnostics).toEqual([]);
  });
});

describe('config lvs: TCP_CHECK', () => {
  it('reads every TCP_CHECK keyword, with nb_get_retry as the old name of retry', () => {
    const v = vs(`virtual_server 10.0.0.1 80 {
      protocol TCP
      real_server 10.0.0.2 80 {
        TCP_CHECK {
          connect_ip 10.0.1.2
          connect_port 8081
          bindto 10.0.0.100
          bind_port 40000
          bind_if eth0
          fwmark 7
          connect_timeout 0.5
          nb_get_retry 0
          delay_before_retry 4
          warmup 1.25
          delay_loop 2
          alpha
          log_all_failures yes
        }
      }
    }`);
    expect(v.realServers[0]?.checkers[0]).toEqual({
      type: 'TCP_CHECK',
      source: { file: F, line: 4, column: 9 },
      family: 'inet',
      connectIp: '10.0.1.2',
      connectPort: 8081,
      bindTo: '10.0.0.100',
      bindPort: 40000,
      bindIf: 'eth0',
      fwmark: 7,
      connectTimeout: 0.5,
      retry: 0,
      delayBeforeRetry: 4,
      warmup: 1.25,
      delayLoop: 2,
      alpha: true,
      logAllFailures: true,
    });
  });

  it('inherits retry, delays, warmup, timeout and alpha from the real server, then the virtual server', () => {
    const v = vs(`virtual_server 10.0.0.1 80 {
      protocol TCP
      delay_loop 10
      retry 5
      delay_before_retry 6
      warmup 7
      connect_timeout 8
      alpha
      real_server 10.0.0.2 80 {
        TCP_CHECK {
        }
      }
      real_server 10.0.0.3 80 {
        retry 2
        delay_loop 3
        TCP_CHECK {
          connect_timeout 1
        }
      }
    }`);
    expect(v.realServers[0]?.checkers[0]).toMatchObject({ retry: 5, delayBeforeRetry: 6, warmup: 7, connectTimeout: 8, delayLoop: 10, alpha: true });
    expect(v.realServers[1]?.checkers[0]).toMatchObject({ retry: 2, delayBeforeRetry: 6, warmup: 7, connectTimeout: 1, delayLoop: 3 });
  });

  it('defaults warmup to the checker delay_loop', () => {
    const v = vs('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n delay_loop 4\n }\n }\n}');
    expect(v.realServers[0]?.checkers[0]).toMatchObject({ delayLoop: 4, warmup: 4 });
  });

  it('requires a port for a checker of a fwmark service', () => {
    const r = parse('virtual_server fwmark 5 {\n lb_kind DR\n real_server 10.0.0.2 {\n TCP_CHECK {\n }\n }\n}');
    expect(r.diagnostics).toMatchObject([{ code: 'MISSING_PORT', line: 4, column: 2 }]);
  });

  it('rejects a bindto of another family than the connect address', () => {
    expect(parse('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n bindto 2001:db8::1\n }\n }\n}').diagnostics).toMatchObject([{ code: 'FAMILY_MISMATCH', line: 4 }]);
  });
});

describe('config lvs: fwmark and groups', () => {
  it('makes a fwmark service with port-less direct-routed real servers and no protocol', () => {
    const r = parse('virtual_server fwmark 100 {\n lb_kind DR\n protocol TCP\n persistence_timeout 600\n real_server 10.0.0.2 443 {\n TCP_CHECK {\n connect_port 443\n }\n }\n}');
    const v = r.model?.virtualServers[0];
    expect(v).toMatchObject({ name: 'FWM 100', family: 'inet', services: [{ kind: 'fwmark', family: 'inet', fwmark: 100 }] });
    expect(v?.protocol).toBeUndefined();
    expect(v?.realServers[0]?.port).toBe(0);
    expect(v?.realServers[0]?.checkers[0]?.connectPort).toBe(443);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IGNORED_SETTING', 'IGNORED_SETTING']);
  });

  it('takes a fwmark service family from its real servers or ip_family', () => {
    expect(vs('virtual_server fwmark 1 {\n real_server 2001:db8::2 80 {\n }\n}').family).toBe('inet6');
    expect(vs('virtual_server fwmark 1 {\n ip_family inet6\n lb_kind TUN\n real_server 10.0.0.2 80 {\n }\n}').family).toBe('inet6');
  });

  it('expands a virtual_server_group into one service per address, range, subnet and fwmark', () => {
    const v = vs(`virtual_server_group G {
      10.0.0.1 80
      10.0.0.10-12 80
      10.0.1.0/30 443
      10.0.2.1-10.0.2.2 8080
      fwmark 9
    }
    virtual_server group G {
      protocol TCP
      real_server 10.0.9.1 80 {
      }
    }`);
    expect(v.name).toBe('group G');
    expect(v.services.map((s) => (s.kind === 'addr' ? `${s.address}:${s.port}` : `fwm${s.fwmark}`))).toEqual([
      '10.0.0.1:80',
      '10.0.0.10:80',
      '10.0.0.11:80',
      '10.0.0.12:80',
      '10.0.1.0:443',
      '10.0.1.1:443',
      '10.0.1.2:443',
      '10.0.1.3:443',
      '10.0.2.1:8080',
      '10.0.2.2:8080',
      'fwm9',
    ]);
  });

  it('reports an undefined group, a bad range and a range too large', () => {
    expect(parse('virtual_server group NOPE {\n real_server 10.0.0.2 80 {\n }\n}').diagnostics).toMatchObject([{ code: 'UNDEFINED_REFERENCE', line: 1, column: 16 }]);
    expect(parse('virtual_server_group G {\n 10.0.0.5-3 80\n 10.0.0.1/24 80\n}').diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(['INVALID_ADDRESS 2', 'INVALID_ADDRESS 3']);
    expect(parse('virtual_server_group G {\n 10.0.0.0/16 80\n}\nvirtual_server group G {\n protocol TCP\n real_server 10.1.0.1 80 {\n }\n}').diagnostics).toMatchObject([{ code: 'RANGE_TOO_LARGE', line: 4 }]);
  });
});
