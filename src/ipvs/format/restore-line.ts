// Format layer: one `ipvsadm -R` line -> one IPVS operation, following ipvsadm 1.31's option handling step by step.
import { formatIPv4, formatIPv6, isIPv4Multicast, isIPv6Multicast, netmaskToPrefix, parseIPv4, parseIPv6 } from '../../util/addr.js';
import type { RestoreIpvsadmEffect } from '../restore-parse.js';
import type { Destination, ForwardMethod, IpvsOp, Protocol, SchedFlag, Service, ServiceKey, TunnelFlag } from '../types.js';
import { PoptReader, poptMessage } from './restore-popt.js';
import { checkCommandOptions, checkTunnelOptions, type Cmd, COMMAND_OF, COMMANDS_HINT, NUMERIC_HINT, type OptName, OPTION_OF, TRY_HELP, type TunName, VALUE_HINTS } from './restore-rules.js';
import { cAtoi, parseFwmark, parseMaskArg, parseSchedFlags, parseServiceArg, type Resolvers, stringToNumber } from './restore-values.js';

/** LineProblem is a diagnostic of one line; word indexes the line's words. */
export interface LineProblem {
  readonly word?: number | undefined;
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly ipvsadm: RestoreIpvsadmEffect;
}

/** LineResult is the operation of a line (none for errors and for listing commands) and its problems. */
export interface LineResult {
  readonly op?: IpvsOp | undefined;
  readonly problems: readonly LineProblem[];
}

/** DEFAULT_PERSISTENT_TIMEOUT is what -p without a value means (libipvs IPVS_SVC_PERSISTENT_TIMEOUT, 6 minutes). */
export const DEFAULT_PERSISTENT_TIMEOUT = 360;
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2147483647;
class Stop extends Error {}

/** parseRestoreWords reads one line's words (without "ipvsadm") as ipvsadm's process_options would. */
export function parseRestoreWords(words: readonly string[], resolvers: Resolvers = {}): LineResult {
  const problems: LineProblem[] = [];
  const p = new LineParser(words, resolvers, problems);
  try {
    return { op: p.run(), problems };
  } catch (e) {
    if (e instanceof Stop) return { problems };
    throw e;
  }
}

class LineParser {
  private cmd: Cmd = 'flush';
  private cmdWord = 0;
  private readonly given = new Map<OptName, number>();
  private readonly valueWords = new Map<OptName, number>();
  private readonly popt: PoptReader;
  // ipvsadm's ipvs_service_t, ipvs_dest_t and daemon, with its defaults
  private svc = { af: 0 as 0 | 2 | 10, protocol: undefined as Protocol | undefined, addr: Buffer.alloc(16) as Buffer, port: 0, fwmark: 0, sched: '', persistent: false, timeout: 0, netmask: 0xffffffff, pe: '', ops: false, flags: 0 };
  private dest = { af: 0 as 0 | 2 | 10, addr: Buffer.alloc(16) as Buffer, port: 0, fwd: 'route' as ForwardMethod, weight: 1, u: 0, l: 0, tun: 'ipip' as TunName, tunPort: 0, tunFlags: 0 };
  private daemon = { state: 'master' as 'master' | 'backup', ifn: '', syncId: 0, maxLen: 0, group: undefined as string | undefined, port: 0, ttl: 0 };
  private timeouts = { tcp: 0, tcpFin: 0, udp: 0 };
  private schedFlags: { text: string; word: number } | undefined;

  constructor(
    private readonly words: readonly string[],
    private readonly resolvers: Resolvers,
    private readonly problems: LineProblem[],
  ) {
    this.popt = new PoptReader(words);
  }

  private fail(code: string, message: string, hint: string, word?: number, ipvsadm: RestoreIpvsadmEffect = 'aborts'): never {
    this.problems.push({ word, severity: 'error', code, message, hint, ipvsadm });
    throw new Stop();
  }

  private warn(code: string, message: string, hint: string, word: number, ipvsadm: RestoreIpvsadmEffect): void {
    this.problems.push({ word, severity: 'warning', code, message, hint, ipvsadm });
  }

  private usage(): never {
    const comment = this.words.findIndex((w) => w.startsWith('#'));
    if (comment >= 0) this.fail('usage', TRY_HELP, 'comments must start in column 1 (ipvsadm -R accepts none; ipvsadm-restore drops lines starting with #)', comment);
    this.fail('usage', TRY_HELP, COMMANDS_HINT, 0);
  }

  private set(name: OptName, word: number, valueWord: number): void {
    if (this.given.has(name)) this.fail('duplicate-option', `multiple '${name}' options specified`, `give ${name} only once`, word);
    this.given.set(name, word);
    this.valueWords.set(name, valueWord);
  }

  private badValue(id: string, message: string, word: number): never {
    this.fail('bad-value', message, VALUE_HINTS[id] ?? 'correct the value', word);
  }

  run(): IpvsOp | undefined {
    this.readCommand();
    for (;;) {
      const ev = this.popt.nextOption();
      if (ev.kind === 'end') break;
      if (ev.kind === 'error') {
        const bad = this.words[ev.word] as string;
        this.fail(ev.code, `${bad}: ${poptMessage(ev.code)}`, ev.code === 'missing-argument' ? 'give the option its value' : ev.code === 'unwanted-argument' ? 'drop the value; this option takes none' : 'check the option name (ipvsadm -h lists them)', ev.word, 'skips-line');
      }
      this.option(ev.def.id, ev.value, ev.word, ev.valueWord);
    }
    this.afterOptions();
    return this.check();
  }

  private readCommand(): void {
    const ev = this.popt.nextOption();
    if (ev.kind !== 'option') this.usage();
    const id = ev.def.id;
    if (id === 'h' || id === 'v') this.fail('help-in-restore', `${this.words[ev.word]} in restore input`, 'remove it: ipvsadm -R would print its help or version here and stop reading', ev.word);
    const cmd = COMMAND_OF[id];
    if (!cmd) this.usage();
    this.cmd = cmd;
    this.cmdWord = ev.word;
    if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
      if (ev.value !== 'master' && ev.value !== 'backup') this.badValue(cmd, cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified', ev.valueWord);
      this.daemon.state = ev.value;
    }
  }

  private serviceArg(value: string, protocol: Protocol | undefined, what: 'virtual server' | 'real server', word: number) {
    const r = parseServiceArg(value, protocol, this.resolvers);
    if ('failed' in r) {
      const named = r.name !== undefined && /[A-Za-z_]/.test(r.name) && !(r.failed === 'address' ? this.resolvers.resolveHost : this.resolvers.resolvePort);
      const hint = named
        ? NUMERIC_HINT
        : value.startsWith('[') && !/\]:/.test(value)
          ? 'after a bracketed IPv6 address give :PORT (or write the address without brackets)'
          : 'write ADDRESS:PORT (port 0..65535), [IPV6-ADDRESS]:PORT, or an address alone';
      this.fail('bad-address', `illegal ${what} address[:port] specified`, hint, word);
    }
    return r;
  }

  private option(id: string, value: string | undefined, optionWord: number, word: number): void {
    const v = value ?? '';
    const num = (min: number, max: number, message: string): number => stringToNumber(v, min, max) ?? this.badValue(id, message, word);
    const name = OPTION_OF[id];
    if (name) this.set(name, optionWord, word);
    switch (id) {
      case 't':
      case 'u':
      case 'sctp-service': {
        const protocol: Protocol = id === 't' ? 'tcp' : id === 'u' ? 'udp' : 'sctp';
        this.svc.protocol = protocol;
        const r = this.serviceArg(v, protocol, 'virtual server', word);
        this.svc.af = r.family === 'inet6' ? 10 : 2;
        this.svc.addr = r.addr;
        if (r.family === 'inet6') this.svc.netmask = 128;
        if (r.port !== undefined) this.svc.port = r.port;
        return;
      }
      case 'f':
        this.svc.af = 2;
        this.svc.protocol = 'tcp';
        this.svc.fwmark = parseFwmark(v) ?? this.badValue(id, `invalid fwmark value \`${v}' specified`, word);
        return;
      case 's':
        this.svc.sched = this.truncated(v, 15, 'scheduler', word);
        return;
      case 'p':
        this.svc.persistent = true;
        this.svc.timeout = value === undefined ? DEFAULT_PERSISTENT_TIMEOUT : (stringToNumber(v, 1, MAX_TIMEOUT) ?? this.badValue(id, `invalid timeout value \`${v}' specified`, word));
        return;
      case 'M':
        if (this.svc.af !== 10) {
          const m = parseMaskArg(v, this.resolvers) ?? this.badValue(id, 'illegal virtual server persistent mask specified', word);
          this.svc.netmask = m.readUInt32BE(0);
        } else {
          const n = cAtoi(v);
          if (n < 1 || n > 128) this.badValue(id, 'illegal ipv6 netmask specified', word);
          this.svc.netmask = n;
        }
        return;
      case 'r': {
        const r = this.serviceArg(v, this.svc.protocol, 'real server', word);
        this.dest.af = r.family === 'inet6' ? 10 : 2;
        this.dest.addr = r.addr;
        this.dest.port = r.port ?? this.svc.port;
        return;
      }
      case 'i':
      case 'g':
      case 'm':
        this.dest.fwd = id === 'i' ? 'tunnel' : id === 'g' ? 'route' : 'masq';
        return;
      case 'w':
        this.dest.weight = num(0, INT_MAX, 'illegal weight specified');
        return;
      case 'x':
        this.dest.u = num(0, INT_MAX, 'illegal u_threshold specified');
        return;
      case 'y':
        this.dest.l = num(0, INT_MAX, 'illegal l_threshold specified');
        return;
      case 'mcast-interface':
        this.daemon.ifn = this.truncated(v, 15, 'interface', word);
        return;
      case 'syncid':
        this.daemon.syncId = num(0, 255, 'illegal syncid specified');
        return;
      case '6':
        if (!this.svc.fwmark) this.fail('bad-order', '-6 used before -f', 'put -6 after -f MARK', optionWord);
        this.svc.af = 10;
        this.svc.netmask = 128;
        return;
      case 'o':
        this.svc.ops = true;
        return;
      case 'pe':
        this.svc.pe = this.truncated(v, 16, 'persistence engine', word);
        return;
      case 'b':
        this.schedFlags = { text: v.slice(0, 127), word };
        return;
      case 'mcast-group': {
        const six = v.includes(':');
        const b = six ? parseIPv6(v) : parseIPv4(v);
        if (!b || !(six ? isIPv6Multicast(b) : isIPv4Multicast(b))) this.badValue(id, `invalid ${six ? 'IPv6' : 'IPv4'} mcast-group \`${v}'`, word);
        this.daemon.group = six ? formatIPv6(b) : formatIPv4(b);
        return;
      }
      case 'mcast-port':
        this.daemon.port = num(1, 65535, 'illegal mcast-port specified');
        return;
      case 'mcast-ttl':
        this.daemon.ttl = num(1, 255, 'illegal mcast-ttl specified');
        return;
      case 'sync-maxlen':
        this.daemon.maxLen = num(1, 65535 - 20 - 8, 'illegal sync-maxlen specified');
        return;
      case 'tun-type':
        if (v !== 'ipip' && v !== 'gue' && v !== 'gre') this.badValue(id, 'illegal tunnel type specified', word);
        this.dest.tun = v;
        return;
      case 'tun-port':
        this.dest.tunPort = num(1, 65535, 'illegal tunnel port specified');
        return;
      case 'tun-nocsum':
      case 'tun-csum':
      case 'tun-remcsum':
        this.dest.tunFlags |= id === 'tun-csum' ? 1 : id === 'tun-remcsum' ? 2 : 0;
        return;
      case 'sort':
        return;
      default:
        if (name) return; // listing options: no state beyond being given
        this.fail('invalid-option', `invalid option \`${this.words[this.popt.lastWord]}'`, 'give one command per line, first', optionWord);
    }
  }

  private truncated(v: string, max: number, what: string, word: number): string {
    if (v.length > max) this.warn('truncated', `${what} name '${v}' is longer than ${max} characters`, `ipvsadm uses '${v.slice(0, max)}'; so does lvsd`, word, 'same');
    return v.slice(0, max);
  }

  private afterOptions(): void {
    const args = [...this.popt.args];
    if (this.cmd === 'set') {
      if (args.length < 3) this.badValue('set', '--set option requires 3 timeout values', this.cmdWord);
      const [tcp, fin, udp] = args.splice(0, 3).map((w) => {
        const t = this.words[w] as string;
        return stringToNumber(t, 0, MAX_TIMEOUT) ?? this.badValue('set', `invalid timeout value \`${t}' specified`, w);
      }) as [number, number, number];
      this.timeouts = { tcp, tcpFin: fin, udp };
    }
    const extra = args[0];
    if (extra !== undefined) {
      const w = this.words[extra] as string;
      this.fail('unexpected-argument', `unexpected argument ${w}`, w.startsWith('#') ? 'comments must start in column 1' : 'remove the word, or give it to the option it belongs to', extra);
    }
    if (this.schedFlags?.text) this.svc.flags = this.parseSchedFlags(this.schedFlags.text, this.schedFlags.word);
  }

  private parseSchedFlags(text: string, word: number): number {
    const r = parseSchedFlags(this.svc.sched || 'wlc', text);
    if (typeof r === 'number') return r;
    if (r.empty) this.fail('bad-value', `no scheduler flag in '${text}'`, VALUE_HINTS.b as string, word, 'crashes');
    return this.badValue('b', r.message, word);
  }

  private check(): IpvsOp | undefined {
    const givenSet = new Set(this.given.keys());
    const bad = checkCommandOptions(this.cmd, givenSet);
    if (bad) this.fail(bad.message.startsWith('You need') ? 'missing-option' : bad.message.startsWith('Illegal') ? 'illegal-option' : 'conflicting-options', bad.message, `see which options '${this.cmd}' takes in ipvsadm -h`, this.given.get(bad.option) ?? this.cmdWord);
    const s = this.svc;
    if (this.cmd === 'add-service' || this.cmd === 'edit-service') {
      if (!s.fwmark && !s.port && !s.persistent) this.fail('zero-port', 'Zero port specified for non-persistent service', 'give the service a port, or make it persistent with -p', this.given.get('service-address'));
      if (s.ops && !s.fwmark && s.protocol !== 'udp') this.fail('ops-not-udp', 'One-Packet Scheduling is only for UDP virtual services', 'drop -o, or use it with -u or -f', this.given.get('ops'));
      if (!s.sched) s.sched = 'wlc';
    }
    if (this.cmd === 'start-daemon' && !this.daemon.ifn) this.daemon.ifn = 'eth0';
    const d = this.dest;
    if (this.cmd === 'add-server' || this.cmd === 'edit-server') {
      if (!s.fwmark && (d.fwd === 'tunnel' || d.fwd === 'route')) d.port = s.port;
      if (d.af !== s.af && d.fwd !== 'tunnel') this.fail('family-mismatch', 'Different address family is allowed only for tunneling servers', 'use a real server of the service\'s address family, or -i', this.given.get('real-server'));
      const tunOpts: OptName[] = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
      const tunGiven = tunOpts.find((o) => this.given.has(o));
      if (tunGiven && d.fwd !== 'tunnel') this.fail('tunnel-option', 'Tunnel options conflict with forward method', 'tunnel options need -i (--ipip)', this.given.get(tunGiven));
      const t = checkTunnelOptions(d.tun, givenSet);
      if (t) this.fail('tunnel-option', t.message, `see the --tun-* options for ${d.tun} in ipvsadm -h`, this.given.get(t.option) ?? this.given.get('tun-type'));
    }
    return this.op();
  }

  private serviceKey(): ServiceKey {
    const family = this.svc.af === 10 ? 'inet6' : 'inet';
    if (this.svc.fwmark) return { kind: 'fwmark', family, fwmark: this.svc.fwmark };
    const address = family === 'inet6' ? formatIPv6(this.svc.addr) : formatIPv4(this.svc.addr);
    return { kind: 'addr', family, protocol: this.svc.protocol ?? 'tcp', address, port: this.svc.port };
  }

  private service(): Service {
    const s = this.svc;
    const key = this.serviceKey();
    let netmask = s.netmask;
    if (s.persistent && key.family === 'inet') {
      const mask = Buffer.alloc(4);
      mask.writeUInt32BE(s.netmask >>> 0);
      const prefix = netmaskToPrefix(mask);
      if (prefix === undefined) this.fail('netmask-not-prefix', `persistence netmask ${formatIPv4(mask)} is not a prefix mask`, 'lvsd keeps persistence masks as prefix lengths; write a mask such as 255.255.255.0', this.valueWords.get('netmask'), 'accepts');
      netmask = prefix;
    }
    const schedFlags = ([1, 2, 3] as SchedFlag[]).filter((f) => s.flags & (1 << f));
    return { key, scheduler: s.sched, persistence: s.persistent ? { timeout: s.timeout, netmask } : undefined, onePacket: s.ops, schedFlags, pe: s.pe || undefined };
  }

  private destination(): Destination {
    const d = this.dest;
    const family = d.af === 10 ? 'inet6' : 'inet';
    const flags: TunnelFlag[] = d.tunFlags & 1 ? ['csum'] : d.tunFlags & 2 ? ['remcsum'] : ['nocsum'];
    return {
      family,
      address: family === 'inet6' ? formatIPv6(d.addr) : formatIPv4(d.addr),
      port: d.port,
      forward: d.fwd,
      weight: d.weight,
      upperThreshold: d.u,
      lowerThreshold: d.l,
      tunnel: d.fwd === 'tunnel' ? { type: d.tun, port: d.tunPort, flags: d.tun === 'ipip' ? [] : flags } : undefined,
    };
  }

  private op(): IpvsOp | undefined {
    switch (this.cmd) {
      case 'add-service':
        return { op: 'add-service', service: this.service() };
      case 'edit-service':
        return { op: 'edit-service', service: this.service() };
      case 'delete-service':
        return { op: 'del-service', key: this.serviceKey() };
      case 'add-server':
        return { op: 'add-dest', service: this.serviceKey(), dest: this.destination() };
      case 'edit-server':
        return { op: 'edit-dest', service: this.serviceKey(), dest: this.destination() };
      case 'delete-server': {
        const { family, address, port } = this.destination();
        return { op: 'del-dest', service: this.serviceKey(), dest: { family, address, port } };
      }
      case 'flush':
        return { op: 'flush' };
      case 'zero':
        return { op: 'zero', service: this.given.has('service-address') ? this.serviceKey() : undefined };
      case 'set':
        return { op: 'set-timeouts', timeouts: this.timeouts };
      case 'start-daemon': {
        const m = this.daemon;
        return { op: 'start-daemon', daemon: { state: m.state, mcastInterface: m.ifn, syncId: m.syncId, syncMaxLen: m.maxLen || undefined, mcastGroup: m.group, mcastPort: m.port || undefined, mcastTtl: m.ttl || undefined } };
      }
      case 'stop-daemon':
        return { op: 'stop-daemon', state: this.daemon.state };
      case 'restore':
        return this.fail('usage', TRY_HELP, 'a restore cannot contain -R', this.cmdWord);
      case 'list':
      case 'save':
        this.listing();
        return undefined;
    }
  }

  private listing(): void {
    const g = (n: OptName) => this.given.has(n);
    if (((g('connection') || g('timeout') || g('daemon')) && (g('stats') || g('rate') || g('thresholds'))) || ((g('timeout') || g('daemon')) && g('persistent-conn'))) {
      this.fail('conflicting-options', 'options conflicts in the list command', 'drop the counter options from this listing', this.cmdWord);
    }
    this.warn('listing-ignored', `${this.words[this.cmdWord]} lists the table; lvsd restore ignores it`, 'remove the line (ipvsadm -R would print the listing here)', this.cmdWord, 'differs');
  }
}
