import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatJson, listToJson } from '../../src/ipvs/format/json.js';
import { formatList } from '../../src/ipvs/format/list.js';
import type { Table } from '../../src/ipvs/types.js';
import { daemons, inKernelOrder, info, table, timeouts } from '../fixtures/ipvsadm/table.js';

const kernelTable = inKernelOrder(table, readFileSync(new URL('../fixtures/ipvsadm/list/Ln-nosort.txt', import.meta.url), 'utf8'));
type J = { services: { address: string | null; port: number | null; fwmark: number | null; destinations: { address: string; port: number }[] }[] };

describe('lvsd list --json', () => {
  const doc = listToJson(kernelTable, info) as unknown as J & { version: string; connTableSize: number };
  it('carries the version and table size', () => {
    expect([doc.version, doc.connTableSize]).toEqual(['1.2.1', 4096]);
  });
  it('lists services and destinations in the text listing\'s order', () => {
    const text = formatList(kernelTable, info);
    const named = doc.services.map((s) => (s.fwmark !== null ? `FWM  ${s.fwmark | 0}` : s.address!.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`));
    const fromText = text.split('\n').filter((l) => /^(TCP|UDP|SCTP|FWM)/.test(l)).map((l) => (l.startsWith('FWM') ? l.split(' ').slice(0, 3).join(' ') : (l.split(/\s+/)[1] as string)));
    expect(named).toEqual(fromText);
  });
  it('writes marks unsigned and addresses as inet_ntop prints them', () => {
    expect(doc.services.map((s) => s.fwmark).filter((f) => f !== null)).toContain(4294967295);
    expect(doc.services.map((s) => s.address)).toContain('2001:db8::1:0:0:1');
  });
  it('writes 64-bit counters as decimal strings', () => {
    const big: Table = { services: [{ service: { ...table.services[0]!.service, stats: { ...table.services[0]!.service.stats!, inBytes: 18446744073709551615n } }, dests: [] }] };
    const text = formatJson(big, info);
    expect(text).toContain('"inBytes": "18446744073709551615"');
    expect(JSON.parse(text).services[0].stats.conns).toBe('0');
  });
  it('describes scheduler flags, persistence and tunnels by name', () => {
    const all = JSON.stringify(doc);
    expect(all).toContain('"schedFlags":["sh-fallback","sh-port"]');
    expect(all).toContain('"persistent":{"timeout":360,"netmask":24}');
    expect(all).toContain('"tunnel":{"type":"gue","port":6080,"flags":["nocsum"]}');
  });
  it('gives one document per mode', () => {
    expect(listToJson(table, info, { timeout: timeouts })).toEqual({ timeouts: { tcp: 3600, tcpFin: 60, udp: 600 } });
    expect(listToJson(table, info, { daemon: daemons['daemon-both'] })).toMatchObject({ daemons: [{ state: 'master', mcastGroup: '224.0.0.81' }, { state: 'backup', mcastGroup: 'ff02::1:3' }] });
    expect(listToJson(table, info, { service: { kind: 'fwmark', family: 'inet', fwmark: 7 } })).toMatchObject({ services: [{ fwmark: 7, destinations: [{ address: '10.0.0.15' }, { address: '10.0.0.16' }] }] });
    expect(listToJson(table, info, { connection: [] })).toEqual({ connections: [] });
  });
  it('refuses what the text listing refuses', () => {
    expect(() => listToJson(table, info, { service: { kind: 'fwmark', family: 'inet6', fwmark: 7 } })).toThrow('No such service');
  });
  it('ends with a newline and parses back', () => {
    const text = formatJson(table, info);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).services).toHaveLength(table.services.length);
  });
});
