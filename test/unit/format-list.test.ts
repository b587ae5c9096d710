import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ListError, type ListOptions, formatList, listTitle } from '../../src/ipvs/format/list.js';
import { formatSave } from '../../src/ipvs/format/save.js';
import type { Destination, Service, ServiceKey, Stats, Table } from '../../src/ipvs/types.js';
import { bigFwmarks, daemons, inKernelOrder, info, table, timeouts } from '../fixtures/ipvsadm/table.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/ipvsadm/${p}`, import.meta.url), 'utf8');
const kernelTable = inKernelOrder(table, fixture('list/Ln-nosort.txt'));

function serviceArg(kind: string, text: string): ServiceKey {
  const protocol = kind === '-t' ? 'tcp' : kind === '-u' ? 'udp' : 'sctp';
  const m = /^\[(.*)\]:(\d+)$/.exec(text) ?? /^(.*):(\d+)$/.exec(text);
  if (!m) throw new Error(`bad service ${text}`);
  return { kind: 'addr', family: text.startsWith('[') ? 'inet6' : 'inet', protocol, address: m[1] as string, port: Number(m[2]) };
}

// list/cases.txt: "<file>\t<ipvsadm arguments>"; translate the arguments into ListOptions.
function options(name: string, args: string[]): ListOptions | 'save' {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-S') return 'save';
    if (a === '-t' || a === '-u' || a === '--sctp-service') o.service = serviceArg(a, args[++i] as string);
    else if (a === '-f') o.service = { kind: 'fwmark', family: args[i + 2] === '-6' ? 'inet6' : 'inet', fwmark: Number(args[++i]) };
    else if (a === '--timeout') o.timeout = timeouts;
    else if (a === '--daemon') o.daemon = daemons[name];
    else if (a.startsWith('--')) o[a.slice(2).replace(/-(.)/g, (_, c: string) => c.toUpperCase())] = true;
  }
  return o as ListOptions;
}

const cases = fixture('list/cases.txt')
  .split('\n')
  .filter((l) => l)
  .map((l) => l.split('\t') as [string, string]);

describe('ipvsadm -L -n listings of the captured table', () => {
  it('has every capture', () => expect(cases.length).toBeGreaterThan(30));
  it.each(cases)('%s matches `ipvsadm %s` byte for byte', (name, args) => {
    const o = options(name, args.split(' '));
    const got = o === 'save' ? formatSave(kernelTable) : formatList(kernelTable, info, o);
    expect(got).toBe(fixture(`list/${name}.txt`));
  });
});

describe('a restored table, listed in its own kernel order', () => {
  const small: Table = { services: table.services.filter((e) => !bigFwmarks.some((k) => k.kind === 'fwmark' && e.service.key.kind === 'fwmark' && e.service.key.fwmark === k.fwmark)) };
  const before = inKernelOrder(small, fixture('roundtrip/Ln-nosort-before.txt'));
  // ipvsadm -R refused its own "-A -t 10.0.0.112:80 -s sh -b " line (sh with only flag 3 saves an empty -b).
  const restored = { services: small.services.filter((e) => e.service.key.kind !== 'addr' || e.service.key.address !== '10.0.0.112') };
  const after = inKernelOrder(restored, fixture('roundtrip/Ln-nosort-after.txt'));
  it('saves as ipvsadm -S -n did before the restore', () => expect(formatSave(before)).toBe(fixture('roundtrip/save.in')));
  it('saves as ipvsadm -S -n did after the restore', () => expect(formatSave(after)).toBe(fixture('roundtrip/save.out')));
  it('lists sorted as ipvsadm -L -n did after the restore', () => expect(formatList(after, info)).toBe(fixture('roundtrip/Ln-after.txt')));
  it('lists unsorted in kernel order', () => expect(formatList(after, info, { nosort: true })).toBe(fixture('roundtrip/Ln-nosort-after.txt')));
});

const stats = (n: bigint): Stats => ({ conns: n, inPkts: n, outPkts: n, inBytes: n, outBytes: n, cps: n, inPps: n, outPps: n, inBps: n, outBps: n });
const service = (over: Partial<Service> = {}): Service => ({ key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.0.1', port: 80 }, scheduler: 'wlc', onePacket: false, schedFlags: [], ...over });
const destination = (over: Partial<Destination> = {}): Destination => ({ family: 'inet', address: '192.168.0.2', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });
// the destination column is printf "%-28s"
const D = '192.168.0.2:80'.padEnd(28);
const one = (svc: Service, dests: Destination[]): Table => ({ services: [{ service: svc, dests }] });

describe('number columns', () => {
  const t = one(service({ stats: stats(123_456_789_012n) }), [destination({ stats: stats(1_500_000_000n) })]);
  it('shortens big counters in --stats', () => {
    expect(formatList(t, info, { stats: true }).split('\n').slice(3, 5)).toEqual([
      `${'TCP  192.168.0.1:80'.padEnd(33)}${'     123G'.repeat(5)}`,
      `  -> ${'192.168.0.2:80'.padEnd(28)}${'    1500M'.repeat(5)}`,
    ]);
  });
  it('prints exact counters with one separating space once they pass 8 digits', () => {
    expect(formatList(t, info, { stats: true, exact: true }).split('\n')[3]).toBe(`${'TCP  192.168.0.1:80'.padEnd(33)}${' 123456789012'.repeat(5)}`);
  });
  it('prints the packet rates of destinations unshortened and the byte rates shortened', () => {
    expect(formatList(t, info, { rate: true }).split('\n')[4]).toBe(`  -> ${D} 1500000000 1500000000 1500000000    1500M    1500M`);
  });
  it('reads missing stats as zero', () => {
    expect(formatList(one(service(), [destination()]), info, { rate: true }).split('\n')[4]).toBe(`  -> ${D}        0        0        0        0        0`);
  });
});

describe('columns ipvsadm fills from kernel-only values', () => {
  it('names the local and bypass forwarding methods as ipvsadm does', () => {
    const out = formatList(one(service(), [destination({ forward: 'local' }), destination({ address: '192.168.0.3', forward: 'bypass' })]), info);
    expect(out.split('\n').slice(4, 6)).toEqual([`  -> ${D} Local   1      0          0         `, `  -> ${'192.168.0.3:80'.padEnd(28)} (null)  1      0          0         `]);
  });
  it('shows connection counts in the default and --persistent-conn columns', () => {
    const t = one(service(), [destination({ activeConns: 12, inactiveConns: 3456, persistConns: 7, weight: 100 })]);
    expect(formatList(t, info).split('\n')[4]).toBe(`  -> ${D} Route   100    12         3456      `);
    expect(formatList(t, info, { persistentConn: true }).split('\n')[4]).toBe(`  -> ${D} 100       7           12         3456      `);
  });
  it('prints a tunnel destination without tunnel details as ipip', () => {
    const t = one(service(), [destination({ forward: 'tunnel' })]);
    expect(formatList(t, info, { tunInfo: true }).split('\n')[4]).toBe(`  -> ${D} Tunnel  ipip          1      0          0         `);
  });
});

describe('refused list requests', () => {
  it('reports a missing service as ipvsadm does', () => {
    expect(() => formatList(table, info, { service: { kind: 'fwmark', family: 'inet', fwmark: 99 } })).toThrow(new ListError('no-such-service', 'No such service'));
  });
  it('finds a service whatever the spelling of its address', () => {
    const got = formatList(table, info, { service: { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::1:0:0:1', port: 80 } });
    expect(got.split('\n')[2]).toBe('TCP  [2001:db8::1:0:0:1]:80 rr');
  });
  it('rejects two modes at once with ipvsadm\'s message', () => {
    expect(() => formatList(table, info, { timeout: timeouts, daemon: [] })).toThrow("The option 'daemon' conflicts with the 'timeout' option in the 'list' command");
    expect(() => formatList(table, info, { connection: [], service: { kind: 'fwmark', family: 'inet', fwmark: 7 } })).toThrow("The option 'service-address' conflicts with the 'connection' option in the 'list' command");
  });
  it('rejects counters with the timeout, daemon and connection modes', () => {
    expect(() => formatList(table, info, { timeout: timeouts, stats: true })).toThrow('options conflicts in the list command');
    expect(() => formatList(table, info, { daemon: [], persistentConn: true })).toThrow('options conflicts in the list command');
    expect(formatList(table, info, { connection: [], persistentConn: true })).toContain('pe name');
  });
});

describe('titles', () => {
  it('prefers stats over rate over thresholds over persistent-conn over tun-info', () => {
    expect(listTitle({ stats: true, rate: true })).toContain('Conns');
    expect(listTitle({ rate: true, thresholds: true })).toContain('CPS');
    expect(listTitle({ thresholds: true, persistentConn: true })).toContain('Uthreshold');
    expect(listTitle({ persistentConn: true, tunInfo: true })).toContain('PersistConn');
    expect(listTitle({ tunInfo: true })).toContain('TunnelInfo');
  });
});
