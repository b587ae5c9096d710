import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnParseError, connectionLine, formatConnections, parseConnections } from '../../src/ipvs/conn.js';
import { formatList } from '../../src/ipvs/format/list.js';
import { info, table } from '../fixtures/ipvsadm/table.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/ipvsadm/conn/${p}`, import.meta.url), 'utf8');
const HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';

describe('/proc/net/ip_vs_conn as ipvsadm -L -n -c shows it', () => {
  const conns = parseConnections(fixture('proc-ip_vs_conn.txt'));
  it('reads every captured entry, IPv4 and IPv6', () => {
    expect(conns.length).toBe(fixture('proc-ip_vs_conn.txt').trim().split('\n').length - 1);
    expect(conns.some((c) => c.fromAddress.includes(':'))).toBe(true);
  });
  it('matches ipvsadm -L -n -c byte for byte', () => {
    expect(formatConnections(conns)).toBe(fixture('Lnc.txt'));
  });
  it('matches ipvsadm -L -n -c --persistent-conn byte for byte', () => {
    expect(formatConnections(conns, { persistentConn: true })).toBe(fixture('Lnc-persistent-conn.txt'));
  });
  it('is what formatList prints for the connection mode', () => {
    expect(formatList(table, info, { connection: conns })).toBe(fixture('Lnc.txt'));
  });
});

describe('connection entries', () => {
  it('decodes hex IPv4 addresses and ports and the decimal expiry', () => {
    const [c] = parseConnections(HEADER + 'UDP C0A80902 92B5 0A000033 0035 0A000003 14E9 UDP             298\n');
    expect(c).toEqual({ protocol: 'UDP', fromAddress: '192.168.9.2', fromPort: 37557, toAddress: '10.0.0.51', toPort: 53, destAddress: '10.0.0.3', destPort: 5353, state: 'UDP', expires: 298 });
  });
  it('compresses the kernel\'s full IPv6 form and allows an IPv4 destination of an IPv6 entry', () => {
    const [c] = parseConnections(HEADER + 'TCP fd00:0009:0000:0000:0000:0000:0000:0002 D0A4 2001:0db8:0000:0000:0000:0000:0000:0050 0050 0A000011 0050 SYN_RECV         59\n');
    expect([c?.fromAddress, c?.toAddress, c?.destAddress]).toEqual(['fd00:9::2', '2001:db8::50', '10.0.0.17']);
    expect(connectionLine(c!)).toBe('TCP 00:59  SYN_RECV    [fd00:9::2]:53412  [2001:db8::50]:80  10.0.0.17:80\n');
  });
  it('keeps the persistence-engine columns and shows them only with --persistent-conn', () => {
    const text = HEADER + 'UDP 0A000001 13C4 0A000069 13C4 0A000014 13C4 UDP             178 sip a84b4c76e66710\n';
    const [c] = parseConnections(text);
    expect(c?.pe).toEqual({ name: 'sip', data: 'a84b4c76e66710' });
    expect(connectionLine(c!)).toBe('UDP 02:58  UDP         10.0.0.1:5060      10.0.0.105:5060    10.0.0.20:5060\n');
    expect(connectionLine(c!, { persistentConn: true })).toBe('UDP 02:58  UDP         10.0.0.1:5060      10.0.0.105:5060    10.0.0.20:5060   sip                a84b4c76e66710\n');
  });
  it('prints minutes past 99 and a zero expiry', () => {
    const [a, b] = parseConnections(HEADER + 'TCP 0A000001 0001 0A000002 0050 0A000003 0050 ESTABLISHED   86399\nTCP 0A000001 0002 0A000002 0050 0A000003 0050 CLOSE             0\n');
    expect(connectionLine(a!).slice(0, 23)).toBe('TCP 1439:59 ESTABLISHED');
    expect(connectionLine(b!).slice(4, 10)).toBe('00:00 ');
  });
  it('always skips the first line, as ipvsadm does, and ignores blank lines', () => {
    expect(parseConnections('whatever\n\nTCP 0A000001 0001 0A000002 0050 0A000003 0050 CLOSE 5\n\n')).toHaveLength(1);
    expect(parseConnections('')).toEqual([]);
  });
  it('rejects a malformed entry with its line number', () => {
    expect(() => parseConnections(HEADER + 'TCP 0A000001 0001\n')).toThrow(ConnParseError);
    expect(() => parseConnections(HEADER + 'TCP zz 0001 0A000002 0050 0A000003 0050 CLOSE 5\n')).toThrow(/line 2: bad address/);
  });
  it('prints the title of an empty table', () => {
    expect(formatConnections([])).toBe('IPVS connection entries\npro expire state       source             virtual            destination\n');
  });
});
