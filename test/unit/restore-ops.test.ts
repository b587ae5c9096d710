import { describe, expect, it } from 'vitest';
import { lexRestore } from '../../src/ipvs/format/restore-lex.js';
import { PoptReader } from '../../src/ipvs/format/restore-popt.js';
import { parseRestore } from '../../src/ipvs/restore-parse.js';
import type { IpvsOp } from '../../src/ipvs/types.js';

const ops = (text: string): IpvsOp[] => {
  const r = parseRestore(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ops.map((o) => o.op);
};
const op = (line: string): IpvsOp => ops(line + '\n')[0] as IpvsOp;
const errorOf = (line: string) => parseRestore(line + '\n').diagnostics.find((d) => d.severity === 'error');

describe('defaults ipvsadm applies', () => {
  it('adds a service with scheduler wlc, no persistence, no flags', () => {
    expect(op('-A -t 10.0.0.1:80')).toEqual({ op: 'add-service', service: { key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, scheduler: 'wlc', persistence: undefined, onePacket: false, schedFlags: [], pe: undefined } });
  });
  it('makes -p without a value 360 seconds with a full-length mask', () => {
    expect(op('-A -t 10.0.0.1:80 -p')).toMatchObject({ service: { persistence: { timeout: 360, netmask: 32 } } });
    expect(op('-A -t [2001:db8::1]:80 -p -s rr')).toMatchObject({ service: { persistence: { timeout: 360, netmask: 128 }, scheduler: 'rr' } });
  });
  it('adds a destination with weight 1, direct routing and the service port', () => {
    expect(op('-a -t 10.0.0.1:80 -r 10.0.0.2:8080')).toEqual({ op: 'add-dest', service: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, dest: { family: 'inet', address: '10.0.0.2', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: undefined } });
  });
  it('keeps the given port only for masquerading, and the mark service port 0 when none is given', () => {
    expect(op('-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m')).toMatchObject({ dest: { port: 8080, forward: 'masq' } });
    expect(op('-a -f 5 -r 10.0.0.2')).toMatchObject({ service: { kind: 'fwmark', family: 'inet', fwmark: 5 }, dest: { port: 0 } });
  });
  it('starts a sync daemon on eth0 with sync id 0 unless told otherwise', () => {
    expect(op('--start-daemon backup')).toEqual({ op: 'start-daemon', daemon: { state: 'backup', mcastInterface: 'eth0', syncId: 0, syncMaxLen: undefined, mcastGroup: undefined, mcastPort: undefined, mcastTtl: undefined } });
    expect(op('--start-daemon master --mcast-interface eth1 --syncid 9 --mcast-group FF02::1:3 --mcast-port 9000 --mcast-ttl 2 --sync-maxlen 1400')).toEqual({ op: 'start-daemon', daemon: { state: 'master', mcastInterface: 'eth1', syncId: 9, syncMaxLen: 1400, mcastGroup: 'ff02::1:3', mcastPort: 9000, mcastTtl: 2 } });
  });
});

describe('every command', () => {
  it('maps each line to its operation, with its line number', () => {
    const r = parseRestore('-C\n\n-Z\n-Z -u 10.0.0.1:53\n--set 900 120 300\n--stop-daemon master\n-D -f 7 -6\n-d -t 10.0.0.1:80 -r 10.0.0.2\n');
    expect(r.ops).toEqual([
      { line: 1, op: { op: 'flush' } },
      { line: 3, op: { op: 'zero', service: undefined } },
      { line: 4, op: { op: 'zero', service: { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.1', port: 53 } } },
      { line: 5, op: { op: 'set-timeouts', timeouts: { tcp: 900, tcpFin: 120, udp: 300 } } },
      { line: 6, op: { op: 'stop-daemon', state: 'master' } },
      { line: 7, op: { op: 'del-service', key: { kind: 'fwmark', family: 'inet6', fwmark: 7 } } },
      { line: 8, op: { op: 'del-dest', service: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, dest: { family: 'inet', address: '10.0.0.2', port: 80 } } },
    ]);
  });
  it('replaces a whole service or destination on edit, defaults included', () => {
    expect(op('-E -t 10.0.0.1:80')).toMatchObject({ op: 'edit-service', service: { scheduler: 'wlc', persistence: undefined } });
    expect(op('-e -t 10.0.0.1:80 -r 10.0.0.2 -x 10 -y 5')).toMatchObject({ op: 'edit-dest', dest: { weight: 1, upperThreshold: 10, lowerThreshold: 5 } });
  });
  it('reads tunnels, with nocsum for GUE and GRE when no checksum option is given', () => {
    expect(op('-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080')).toMatchObject({ dest: { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['nocsum'] } } });
    expect(op('-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -i')).toMatchObject({ dest: { family: 'inet6', address: '2001:db8::2', tunnel: { type: 'ipip', port: 0, flags: [] } } });
  });
  it('reads scheduler flags as flag numbers', () => {
    expect(op('-A -t 10.0.0.1:80 -s sh -b sh-port,flag-3')).toMatchObject({ service: { schedFlags: [2, 3] } });
    expect(op('-A -f 1 -s mh -b mh-fallback')).toMatchObject({ service: { schedFlags: [1] } });
  });
});

describe('ipvsadm reading quirks', () => {
  it('reads the IPv6 netmask only after the service says it is IPv6', () => {
    expect(op('-A -t [2001:db8::1]:80 -p -M 64')).toMatchObject({ service: { persistence: { netmask: 64 } } });
    expect(op('-A -M 64 -t [2001:db8::1]:80 -p')).toMatchObject({ service: { persistence: { netmask: 128 } } });
  });
  it('reads an IPv4 address in brackets without its port', () => {
    expect(op('-A -t [10.0.0.1]:80 -p')).toMatchObject({ service: { key: { address: '10.0.0.1', port: 0 } } });
  });
  it('takes an empty --scheduler= as the default scheduler', () => {
    expect(op('-A -t 10.0.0.1:80 --scheduler=')).toMatchObject({ service: { scheduler: 'wlc' } });
  });
  it('gives -p no value when the next word starts with a dash, but requires one for -x even then', () => {
    expect(errorOf('-A -t 10.0.0.1:80 -p -5')).toMatchObject({ message: '-5: unknown option', ipvsadm: 'skips-line' });
    expect(errorOf('-a -t 10.0.0.1:80 -r 10.0.0.2 -x -5')?.message).toBe('illegal u_threshold specified');
  });
  it('warns about names ipvsadm cuts short, and cuts them the same way', () => {
    const r = parseRestore('-A -t 10.0.0.1:80 -s abcdefghijklmnopq\n');
    expect(r.ops[0]?.op).toMatchObject({ service: { scheduler: 'abcdefghijklmno' } });
    expect(r.diagnostics[0]).toMatchObject({ severity: 'warning', code: 'truncated', column: 22, ipvsadm: 'same' });
  });
});

describe('diagnostics', () => {
  it('point at the word at fault', () => {
    expect(parseRestore('-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2  -w 70000000000\n').diagnostics).toEqual([
      { line: 2, column: 35, severity: 'error', code: 'bad-value', message: 'illegal weight specified', hint: 'give a weight from 0 to 2147483647', ipvsadm: 'aborts' },
    ]);
  });
  it('explain that names are not resolved, unless a resolver is given', () => {
    expect(errorOf('-A -t www.example.com:http')?.hint).toMatch(/numeric/);
    const r = parseRestore('-A -t www.example.com:http\n', { resolveHost: (n) => (n === 'www.example.com' ? '192.0.2.7' : undefined), resolvePort: (n, p) => (n === 'http' && p === 'tcp' ? 80 : undefined) });
    expect(r.ops[0]?.op).toMatchObject({ service: { key: { address: '192.0.2.7', port: 80 } } });
  });
  it('refuse a persistence mask that is not a prefix, which ipvsadm would accept', () => {
    expect(errorOf('-A -t 10.0.0.1:80 -p -M 255.0.255.0')).toMatchObject({ code: 'netmask-not-prefix', ipvsadm: 'accepts', column: 25 });
    expect(errorOf('-A -t 10.0.0.1:80 -M 255.0.255.0')).toBeUndefined(); // not persistent: the mask is unused
  });
  it('warn that a listing inside a restore is ignored', () => {
    const r = parseRestore('-L -n\n-S\n');
    expect(r.ops).toEqual([]);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['listing-ignored', 'warning'], ['listing-ignored', 'warning']]);
  });
  it('stop at help and version requests as ipvsadm would', () => {
    expect(errorOf('-h')).toMatchObject({ code: 'help-in-restore', ipvsadm: 'aborts' });
    expect(errorOf('--version')).toMatchObject({ code: 'help-in-restore' });
  });
  it('warn about a last line ipvsadm would drop', () => {
    expect(parseRestore('-C  ').diagnostics).toMatchObject([{ code: 'dropped-by-ipvsadm', ipvsadm: 'ignores' }]);
    expect(parseRestore('-C ').diagnostics).toEqual([]);
  });
  it('reject words longer than ipvsadm reads', () => {
    expect(errorOf(`-A -s ${'x'.repeat(5000)}`)).toMatchObject({ code: 'word-too-long', column: 7 });
  });
  it('report every bad line, not only the first', () => {
    expect(parseRestore('-A -t 10.0.0.1\n-C\n-A -t 10.0.0.1:80 -w 1\n').diagnostics.map((d) => d.line)).toEqual([1, 3]);
  });
});

describe('reading words', () => {
  it('splits on spaces, tabs and carriage returns only, and drops the word ipvsadm', () => {
    expect(lexRestore('ipvsadm\t-A -t\r 1.2.3.4:80\v\n\n   \n# x\n').map((l) => [l.line, l.words.map((w, i) => [w, l.columns[i]])])).toEqual([
      [1, [['-A', 9], ['-t', 12], ['1.2.3.4:80\v', 16]]],
    ]);
  });
  it('reads popt clusters, attached values and "--"', () => {
    const p = new PoptReader(['-Ln', '-srr', '--weight=3', '--', '-m']);
    const seen: string[] = [];
    for (let e = p.nextOption(); e.kind === 'option'; e = p.nextOption()) seen.push(`${e.def.id}=${e.value ?? ''}`);
    expect(seen).toEqual(['L=', 'n=', 's=rr', 'w=3']);
    expect(p.args).toEqual([4]);
  });
});
