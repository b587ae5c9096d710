// Unit tests: block structure, unknown keywords and malformed files, each reported with file:line:column.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatDiagnostic, memoryFs, parseConfig, requireModel } from '../../src/config/index.js';

const F = '/etc/keepalived/keepalived.conf';

function parse(text: string, more: Record<string, string> = {}) {
  return parseConfig(F, memoryFs({ [F]: text, ...more }));
}

function at(text: string, more: Record<string, string> = {}) {
  return parse(text, more).diagnostics.map((d) => `${d.severity} ${d.code} ${d.file === F ? '' : d.file}${d.line}:${d.column}`);
}

const VS = (body: string) => `virtual_server 10.0.0.1 80 {\n  protocol TCP\n${body}\n}\n`;

describe('config structure: braces', () => {
  it('reports an unclosed block at its opening brace', () => {
    const r = parse('virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n');
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${F}:1:28: error: 'virtual_server' block opened here is never closed (add the missing '}')`,
      `${F}:3:27: error: 'real_server' block opened here is never closed (add the missing '}')`,
    ]);
  });

  it("reports an extra '}' where it is", () => {
    expect(at(`${VS('  real_server 10.0.0.2 80 {\n  }')}  }\n`)).toEqual(['error UNEXPECTED_CLOSE_BRACE 6:3']);
  });

  it("reports a '{' that follows no keyword", () => {
    expect(at('{\n}\n')).toEqual(['error UNEXPECTED_OPEN_BRACE 1:1']);
  });

  it('reports a block keyword written without its block', () => {
    expect(at('global_defs\nrouter_id x\n')).toContain('error MISSING_BLOCK 1:1');
  });

  it('reports a block given to a keyword that takes none', () => {
    expect(at(VS('  delay_loop 5 {\n  }\n  real_server 10.0.0.2 80 {\n  }'))).toEqual(['error UNEXPECTED_BLOCK 3:16']);
  });

  it('accepts blocks written on one line, and braces glued to words', () => {
    const r = parse('virtual_server 10.0.0.1 80 { delay_loop 7\n protocol TCP\n real_server 10.0.0.2 80{ weight 4 }\n real_server 10.0.0.3 80\n {\n TCP_CHECK { connect_timeout 3 } }\n}');
    expect(r.diagnostics).toEqual([]);
    const vs = r.model?.virtualServers[0];
    expect(vs?.delayLoop).toBe(7);
    expect(vs?.realServers.map((s) => s.weight)).toEqual([4, 1]);
    expect(vs?.realServers[1]?.checkers[0]?.connectTimeout).toBe(3);
  });
});

describe('config structure: unknown and unsupported keywords', () => {
  it('warns about an unsupported checker with its exact file and line, and still uses the rest', () => {
    const inc = '/etc/keepalived/rs.conf';
    const r = parse(VS('  include rs.conf\n  real_server 10.0.0.3 80 {\n    TCP_CHECK {\n    }\n  }'), {
      [inc]: 'real_server 10.0.0.2 80 {\n  weight 2\n  HTTP_GET {\n    url {\n      path /health\n      digest abc\n    }\n    connect_timeout 3\n  }\n  MISC_CHECK {\n    misc_path "/bin/true"\n  }\n}',
    });
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${inc}:3:3: warning: HTTP_GET is not implemented by lvsd yet; its block is skipped (lvsd does not health-check with this block; add a TCP_CHECK)`,
      `${inc}:10:3: warning: MISC_CHECK is not implemented by lvsd yet; its block is skipped (lvsd does not health-check with this block; add a TCP_CHECK)`,
    ]);
    const rs = r.model?.virtualServers[0]?.realServers;
    expect(rs?.map((s) => [s.address, s.weight, s.skippedCheckers.map((c) => `${c.type}@${c.source.line}`)])).toEqual([
      ['10.0.0.2', 2, ['HTTP_GET@3', 'MISC_CHECK@10']],
      ['10.0.0.3', 1, []],
    ]);
  });

  it.each(['SSL_GET', 'SMTP_CHECK', 'DNS_CHECK', 'BFD_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK'])('skips a %s block with balanced braces', (type) => {
    const r = parse(VS(`  real_server 10.0.0.2 80 {\n    ${type} {\n      a { b { } }\n    }\n    weight 9\n  }`));
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', code: 'UNSUPPORTED_CHECKER', line: 4, column: 5 }]);
    expect(r.model?.virtualServers[0]?.realServers[0]?.weight).toBe(9);
  });

  it('warns about unknown keywords and skips their blocks, at every level', () => {
    const r = parse(`frobnicate {\n  x { y }\n}\nglobal_defs {\n  whatever 1\n}\n${VS('  colour blue\n  real_server 10.0.0.2 80 {\n  }')}`);
    expect(r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['UNKNOWN_KEYWORD 1:1', 'UNKNOWN_KEYWORD 5:3', 'UNKNOWN_KEYWORD 9:3']);
    expect(r.model).toBeDefined();
  });

  it('names keepalived keywords lvsd does not implement as unsupported', () => {
    const r = parse('global_defs {\n  vrrp_iptables\n  enable_snmp_vrrp\n}\nstatic_ipaddress {\n  1.1.1.1 dev lo\n}');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['UNSUPPORTED_KEYWORD', 'UNSUPPORTED_KEYWORD', 'UNSUPPORTED_KEYWORD']);
  });

  it('warns about extra arguments that keepalived ignores', () => {
    expect(at(VS('  delay_loop 5 6\n  real_server 10.0.0.2 80 {\n  }'))).toEqual(['warning EXTRA_ARGUMENTS 3:16']);
  });
});

describe('config structure: malformed values', () => {
  it('reports a bad IP address at the address', () => {
    expect(at('virtual_server 10.0.0.999 80 {\n  real_server 10.0.0.2 80 {\n  }\n}')).toEqual(['error INVALID_ADDRESS 1:16']);
    expect(at(VS('  real_server 10.0.0.2.1 80 {\n  }'))).toEqual(['error INVALID_ADDRESS 3:15']);
  });

  it('reports an out-of-range weight and virtual_router_id at the value', () => {
    const r = parse(`${VS('  real_server 10.0.0.2 80 {\n    weight 70000\n  }')}vrrp_instance V {\n  interface eth0\n  virtual_router_id 300\n}\n`);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${F}:4:12: error: weight '70000' is out of range (expected an integer 0..65535)`,
      `${F}:9:21: error: virtual_router_id '300' is out of range (expected an integer 1..255)`,
    ]);
  });

  it('reports a virtual server without a port unless it is persistent', () => {
    expect(at('virtual_server 10.0.0.1 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}')).toEqual(['error MISSING_PORT 1:16']);
    expect(at('virtual_server 10.0.0.1 {\n  protocol TCP\n  persistence_timeout 60\n  real_server 10.0.0.2 {\n  }\n}')).toEqual([]);
  });

  it('reports a missing value just after the keyword', () => {
    expect(parse(VS('  delay_loop\n  real_server 10.0.0.2 80 {\n  }')).diagnostics.map(formatDiagnostic)).toEqual([
      `${F}:3:14: error: 'delay_loop' is missing its value (expected: delay_loop SECONDS)`,
    ]);
  });

  it('reports a port out of range and a non-number', () => {
    expect(at(VS('  real_server 10.0.0.2 70000 {\n  }'))).toEqual(['error OUT_OF_RANGE 3:24']);
    expect(at(VS('  delay_loop soon\n  real_server 10.0.0.2 80 {\n  }'))).toEqual(['error INVALID_VALUE 3:14']);
  });

  it('reports an unterminated quote', () => {
    expect(at('vrrp_script x {\n  script "/bin/true\n}')).toContain('error UNTERMINATED_QUOTE 2:10');
  });

  it('throws a ConfigError carrying the first error when the caller asks for the model', () => {
    const r = parse(VS('  real_server 10.0.0.2 80 {\n    weight -1\n  }'));
    expect(() => requireModel(r)).toThrow(ConfigError);
    try {
      requireModel(r);
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_VALUE', file: F, line: 4, column: 12 });
    }
  });
});
