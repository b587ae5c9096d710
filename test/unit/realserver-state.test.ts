// Unit test: the state file (validated JSON, atomic writes) and the /proc edge (files, sysctl names, default routes).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealserverState } from '../../src/realserver/model.js';
import { fileStateStore, parseState, serializeState } from '../../src/realserver/state.js';
import { effectiveConf, parseDefaultRoutes, procFs, sysctlDisplayName } from '../../src/realserver/sysctl.js';

const STATE: RealserverState = {
  version: 1,
  addresses: [
    { family: 'inet', address: '192.168.56.131', prefix: 32, interface: 'lo', label: 'lo:1' },
    { family: 'inet6', address: '2001:db8::131', prefix: 128, interface: 'lo' },
  ],
  sysctls: [{ name: 'net/ipv4/conf/eth0.100/arp_ignore', previous: '0', value: '1' }],
};

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lvsd-rs-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('state file', () => {
  it('reads back what it wrote, one record a line', () => {
    const text = serializeState(STATE);
    expect(parseState(text, 's.json')).toEqual(STATE);
    expect(text.split('\n')).toContain('    {"family":"inet","address":"192.168.56.131","prefix":32,"interface":"lo","label":"lo:1"},');
  });

  it.each([
    ['not JSON', '{', /is not JSON/],
    ['another version', '{"version":2,"addresses":[],"sysctls":[]}', /version/],
    ['a path outside the conf folders', '{"version":1,"addresses":[],"sysctls":[{"name":"kernel/panic","previous":"0","value":"1"}]}', /sysctls\.0\.name/],
    ['an unknown field', '{"version":1,"addresses":[],"sysctls":[],"extra":1}', /not an lvsd real-server state/],
  ])('refuses %s with RS_STATE and what to do', (_what, text, message) => {
    expect(() => parseState(text, '/var/lib/lvsd/realserver.json')).toThrow(expect.objectContaining({ code: 'RS_STATE', message: expect.stringMatching(message) }));
    expect(() => parseState(text, '/x')).toThrow(/remove it/);
  });

  it('is saved through a temporary file renamed over, creating the folder, and leaves no temporary file', () => {
    const path = join(tmp(), 'var', 'lib', 'lvsd', 'realserver.json');
    const store = fileStateStore(path);
    expect(store.exists()).toBe(false);
    expect(store.load()).toEqual({ version: 1, addresses: [], sysctls: [] });
    store.save(STATE);
    expect(readFileSync(path, 'utf8')).toBe(serializeState(STATE));
    expect(readdirSync(join(path, '..'))).toEqual(['realserver.json']);
    expect(store.load()).toEqual(STATE);
    store.remove();
    expect(store.exists()).toBe(false);
  });

  it('says where it could not write and how to choose another place', () => {
    const d = tmp();
    writeFileSync(join(d, 'file'), 'x');
    expect(() => fileStateStore(join(d, 'file', 'state.json')).save(STATE)).toThrow(expect.objectContaining({ code: 'RS_STATE', message: expect.stringContaining('--state-file') }));
  });
});

describe('/proc edge', () => {
  it('reads and writes files under its root and reads a missing one as undefined', () => {
    const root = tmp();
    mkdirSync(join(root, 'sys/net/ipv4/conf/eth0'), { recursive: true });
    writeFileSync(join(root, 'sys/net/ipv4/conf/eth0/arp_ignore'), '0\n');
    const proc = procFs(root);
    proc.write('sys/net/ipv4/conf/eth0/arp_ignore', '1');
    expect(proc.read('sys/net/ipv4/conf/eth0/arp_ignore')).toBe('1\n');
    expect(proc.read('sys/net/ipv4/conf/eth9/arp_ignore')).toBeUndefined();
  });

  it('names sysctls as sysctl(8) prints them, a dot inside an interface name becoming a slash', () => {
    expect(sysctlDisplayName('net/ipv4/conf/eth0.100/arp_ignore')).toBe('net.ipv4.conf.eth0/100.arp_ignore');
  });

  it('combines all and the interface as the kernel does', () => {
    const s = { 'net/ipv4/conf/all/rp_filter': '1', 'net/ipv4/conf/eth0/rp_filter': '2', 'net/ipv4/conf/all/proxy_arp': '0', 'net/ipv4/conf/eth0/proxy_arp': '1' };
    expect(effectiveConf(s, 'eth0', 'rp_filter')).toBe(2);
    expect(effectiveConf(s, 'eth0', 'proxy_arp')).toBe(1);
    expect(effectiveConf(s, 'eth1', 'rp_filter')).toBe(1);
    expect(effectiveConf({}, 'eth0', 'arp_ignore')).toBeUndefined();
  });

  it('finds the interfaces of the IPv4 default routes in /proc/net/route', () => {
    const route = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t0038A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth2\t00000000\t0102A8C0\t0002\t0\t0\t200\t00000000\t0\t0\t0',
      '',
    ].join('\n');
    expect(parseDefaultRoutes(route)).toEqual(['eth1']);
  });
});
