// Unit tests: operator overrides — naming servers as operators type them, the override list, staleness, the state file.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model } from '../../src/config/index.js';
import { ControlError } from '../../src/control/errors.js';
import { findOverride, isStale, makeOverride, overrideFn, resolveTarget, resolveVirtualServer, withOverride, withoutOverride, type Override } from '../../src/control/overrides.js';
import { fileOverrideStore, memoryOverrideStore, parseOverrides, serializeOverrides } from '../../src/control/state.js';

const F = '/etc/keepalived/keepalived.conf';

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!r.model) throw new Error('no model');
  return r.model;
}

const rs = (addr: string, port = 80) => ` real_server ${addr} ${port} {\n  weight 1\n }\n`;
const CONF =
  `virtual_server 192.168.56.131 80 {\n protocol TCP\n${rs('192.168.56.101')}${rs('192.168.56.102')}}\n` +
  `virtual_server 192.168.56.131 53 {\n protocol UDP\n${rs('192.168.56.101', 53)}}\n` +
  `virtual_server fwmark 7 {\n${rs('192.168.56.103', 0)}}\n` +
  `virtual_server_group WEB {\n 192.168.56.140 80\n 192.168.56.141 80\n}\nvirtual_server group WEB {\n protocol TCP\n${rs('192.168.56.104')}}\n` +
  `virtual_server 2001:db8::131 80 {\n protocol TCP\n${rs('2001:db8::101')}}\n`;
const m = model(CONF);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ControlError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('control overrides: naming the virtual and the real server', () => {
  it.each([
    { vs: '192.168.56.131:80', protocol: 'tcp' as const, rs: '192.168.56.101:80', name: '[192.168.56.131]:tcp:80', rsAddr: '192.168.56.101:80' },
    { vs: '192.168.56.131:53', protocol: 'udp' as const, rs: '192.168.56.101:53', name: '[192.168.56.131]:udp:53', rsAddr: '192.168.56.101:53' },
    { vs: '7', protocol: 'tcp' as const, rs: '192.168.56.103:0', name: 'FWM 7', rsAddr: '192.168.56.103:0' },
    { vs: 'WEB', protocol: 'tcp' as const, rs: '192.168.56.104:80', name: 'group WEB', rsAddr: '192.168.56.104:80' },
    { vs: '192.168.56.141:80', protocol: 'tcp' as const, rs: '192.168.56.104', name: 'group WEB', rsAddr: '192.168.56.104:80' },
    { vs: '[2001:db8:0::131]:80', protocol: 'tcp' as const, rs: '[2001:db8::101]:80', name: '[2001:db8::131]:tcp:80', rsAddr: '2001:db8::101:80' },
    { vs: '[192.168.56.131]:tcp:80', protocol: 'tcp' as const, rs: '192.168.56.102:80', name: '[192.168.56.131]:tcp:80', rsAddr: '192.168.56.102:80' },
  ])('$vs ($protocol) $rs is $name', ({ vs, protocol, rs: r, name, rsAddr }) => {
    const t = resolveTarget(m, { vs, protocol, rs: r });
    expect(t.vs.name).toBe(name);
    expect(`${t.rs.address}:${t.rs.port}`).toBe(rsAddr);
  });

  it('an unknown virtual server is an error listing the ones that exist', () => {
    const e = codeOf(() => resolveTarget(m, { vs: '192.168.56.132:80', protocol: 'tcp', rs: '192.168.56.101:80' }));
    expect(e).toMatch(/^CONTROL_UNKNOWN_VS: no virtual server 192\.168\.56\.132:80 \(tcp\)/);
    expect(e).toContain('192.168.56.131:80 (tcp), 192.168.56.131:53 (udp), fwmark 7, group WEB, [2001:db8::131]:80 (tcp)');
  });

  it('the protocol matters: the UDP service is not the TCP one', () => {
    expect(codeOf(() => resolveVirtualServer(m, '192.168.56.131:53', 'tcp'))).toMatch(/^CONTROL_UNKNOWN_VS/);
  });

  it('an unknown real server is an error listing the virtual server real servers', () => {
    expect(codeOf(() => resolveTarget(m, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.109:80' }))).toBe(
      'CONTROL_UNKNOWN_RS: no real server 192.168.56.109:80 in virtual server 192.168.56.131:80 (tcp); it has: 192.168.56.101:80, 192.168.56.102:80',
    );
  });

  it('an address without a port that names several virtual servers is ambiguous', () => {
    const two = model(`virtual_server 10.0.0.1 80 {\n protocol TCP\n${rs('10.0.0.2')}}\nvirtual_server 10.0.0.1 443 {\n protocol TCP\n${rs('10.0.0.2', 443)}}\n`);
    expect(codeOf(() => resolveVirtualServer(two, '10.0.0.1', 'tcp'))).toMatch(/^CONTROL_AMBIGUOUS: 10\.0\.0\.1 names 2 virtual servers/);
  });

  it('a real server that is not an address is a bad request', () => {
    expect(codeOf(() => resolveTarget(m, { vs: '192.168.56.131:80', protocol: 'tcp', rs: 'rs1' }))).toMatch(/^CONTROL_BAD_REQUEST: real server rs1: give it as ADDR:PORT/);
  });
});

describe('control overrides: the list', () => {
  const at = new Date('2026-11-22T07:00:00Z');
  const t1 = resolveTarget(m, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.101:80' });
  const t2 = resolveTarget(m, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.102:80' });

  it('setting an override replaces the one of the same server and reports it', () => {
    const a = withOverride([], makeOverride(t1, 'drain', at));
    const b = withOverride(a.list, makeOverride(t1, 'disable', at));
    expect(b.previous?.mode).toBe('drain');
    expect(b.list.map((o) => `${o.address} ${o.mode}`)).toEqual(['192.168.56.101 disable']);
    const c = withOverride(b.list, makeOverride(t2, 'drain', at));
    expect(c.previous).toBeUndefined();
    expect(c.list).toHaveLength(2);
  });

  it('clearing takes out only that server', () => {
    const list = [makeOverride(t1, 'drain', at), makeOverride(t2, 'disable', at)];
    const r = withoutOverride(list, t1.vsId, t1.rs);
    expect(r.removed?.mode).toBe('drain');
    expect(r.list.map((o) => o.address)).toEqual(['192.168.56.102']);
    expect(withoutOverride(r.list, t1.vsId, t1.rs).removed).toBeUndefined();
  });

  it('the reconciler sees each server mode, and nothing for the others', () => {
    const fn = overrideFn([makeOverride(t1, 'drain', at)])!;
    expect(fn(t1.vs, t1.rs)).toBe('drain');
    expect(fn(t2.vs, t2.rs)).toBeUndefined();
    const udp = resolveTarget(m, { vs: '192.168.56.131:53', protocol: 'udp', rs: '192.168.56.101:53' });
    expect(fn(udp.vs, udp.rs)).toBeUndefined();
    expect(overrideFn([])).toBeUndefined();
  });

  it('an override survives a reload that keeps its server, and is stale once the server is gone', () => {
    const o = makeOverride(t1, 'disable', at);
    expect(isStale(o, m)).toBe(false);
    const reordered = model(`virtual_server 192.168.56.131 80 {\n protocol TCP\n lb_algo wrr\n${rs('192.168.56.102')}${rs('192.168.56.101')}}\n`);
    expect(isStale(o, reordered)).toBe(false);
    expect(overrideFn([o])!(reordered.virtualServers[0]!, reordered.virtualServers[0]!.realServers[1]!)).toBe('disable');
    const without = model(`virtual_server 192.168.56.131 80 {\n protocol TCP\n${rs('192.168.56.102')}}\n`);
    expect(isStale(o, without)).toBe(true);
  });

  it('a stale override is found again by what the operator typed', () => {
    const list = [makeOverride(t1, 'disable', at)];
    expect(findOverride(list, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.101:80' })).toBe(list[0]);
    expect(findOverride(list, { vs: '[192.168.56.131]:tcp:80', protocol: 'tcp', rs: '192.168.56.101:80' })).toBe(list[0]);
    expect(findOverride(list, { vs: '192.168.56.131:80', protocol: 'udp', rs: '192.168.56.101:80' })).toBeUndefined();
    expect(findOverride(list, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.102:80' })).toBeUndefined();
  });
});

describe('control overrides: the state file', () => {
  const o: Override = { vs: 'tcp/inet/192.168.56.131/80', vsName: '[192.168.56.131]:tcp:80', family: 'inet', address: '192.168.56.101', port: 80, mode: 'disable', at: '2026-11-22T07:00:00.000Z' };

  it('round-trips, one override per line', () => {
    const text = serializeOverrides([o, { ...o, address: '192.168.56.102', mode: 'drain' }]);
    expect(text.split('\n').filter((l) => l.includes('"mode"'))).toHaveLength(2);
    expect(parseOverrides(text, '/x')).toEqual([o, { ...o, address: '192.168.56.102', mode: 'drain' }]);
    expect(parseOverrides(serializeOverrides([]), '/x')).toEqual([]);
  });

  it.each([
    { text: '{', error: /^CONTROL_STATE: state file \/x is not JSON .*fix it or remove it/ },
    { text: '{"version":2,"overrides":[]}', error: /^CONTROL_STATE: state file \/x is not an lvsd override list \(version/ },
    { text: '{"version":1,"overrides":[{"vs":"a","vsName":"a","family":"inet","address":"1.2.3.4","port":80,"mode":"off","at":""}]}', error: /overrides\.0\.mode/ },
  ])('a bad file is CONTROL_STATE saying what is wrong: $text', ({ text, error }) => {
    expect(codeOf(() => parseOverrides(text, '/x'))).toMatch(error);
  });

  it('the memory store starts empty and keeps what was saved', () => {
    const s = memoryOverrideStore();
    expect(s.load()).toEqual([]);
    s.save([o]);
    expect(s.load()).toEqual([o]);
  });

  it('the file store writes a root-only file in a root-only folder it creates, by rename, and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-state-'));
    try {
      const path = join(dir, 'lib/lvsd/overrides.json');
      const store = fileOverrideStore(path);
      expect(store.load()).toEqual([]);
      store.save([o]);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'lib/lvsd')).mode & 0o777).toBe(0o700);
      expect(readdirSync(join(dir, 'lib/lvsd'))).toEqual(['overrides.json']);
      expect(fileOverrideStore(path).load()).toEqual([o]);
      writeFileSync(path, '{"version":1,"overrides":[{}]}');
      expect(codeOf(() => store.load())).toMatch(/^CONTROL_STATE: state file .* is not an lvsd override list/);
      // a folder that cannot be made: the error names the file and says what to do
      writeFileSync(join(dir, 'file'), '');
      expect(codeOf(() => fileOverrideStore(join(dir, 'file/overrides.json')).save([o]))).toMatch(/^CONTROL_STATE: cannot write state file .*file\/overrides\.json: .*choose another with --state-file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
