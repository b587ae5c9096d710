// I/O edge fake: an in-memory IPVS generic netlink family behind the Transport interface, for tests without a kernel.
import { decodeAttrs, type AttrValues } from '../netlink/nla.js';
import { CTRL_CMD_NEWFAMILY, ctrlTable, GENL_ID_CTRL } from '../netlink/genl.js';
import { encodeGenlMessage, genlAttrsStart, genlCmd, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, splitMessages, type RawMessage } from '../netlink/message.js';
import type { Transport } from '../netlink/transport.js';
import { destFromWire, destToWire, familyFromNumber, serviceFromWire, serviceToWire } from './convert.js';
import type { Destination, Service } from './types.js';
import { Cmd, cmdTable, infoTable, IPVS_GENL_VERSION } from './wire.js';

const FAMILY_ID = 0x1c;
const E = { ENOENT: 2, ESRCH: 3, EEXIST: 17, EINVAL: 22, EOPNOTSUPP: 95 } as const;

/** FakeKernelOptions shape the fake: which schedulers are "loaded", and whether IPVS exists at all. */
export interface FakeKernelOptions {
  readonly schedulers?: readonly string[];
  readonly ipvs?: boolean;
}

const keyOf = (s: AttrValues): string => (s.fwmark ? `f${String(s.af)}/${String(s.fwmark)}` : `${String(s.af)}/${String(s.protocol)}/${(s.addr as Buffer).toString('hex')}/${String(s.port)}`);
const destKeyOf = (d: AttrValues): string => `${(d.addr as Buffer).toString('hex')}/${String(d.port)}`;

/** FakeIpvsKernel answers IPVS requests from an in-memory table and records every datagram it was sent. */
export class FakeIpvsKernel implements Transport {
  private readonly services = new Map<string, { svc: Service; dests: Map<string, Destination> }>();
  private readonly handlers: ((buf: Buffer) => void)[] = [];
  private timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  /** datagrams holds a copy of every datagram sent to the fake, in order */
  readonly datagrams: Buffer[] = [];
  private readonly schedulers: ReadonlySet<string>;

  constructor(private readonly options: FakeKernelOptions = {}) {
    this.schedulers = new Set(options.schedulers ?? ['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'dh', 'sed', 'nq', 'lblc', 'lblcr', 'fo', 'ovf']);
  }

  /** snapshot returns the fake's table: services in insertion order, each with its destinations newest first (as the kernel lists them). */
  snapshot(): { service: Service; dests: Destination[] }[] {
    return [...this.services.values()].map((e) => ({ service: e.svc, dests: [...e.dests.values()].reverse() }));
  }

  async send(datagram: Buffer): Promise<void> {
    this.datagrams.push(Buffer.from(datagram));
    const out: Buffer[] = [];
    for (const msg of splitMessages(datagram)) this.handle(datagram, msg, out);
    // the kernel queues each reply as its own datagram; deliver them after the send completes
    queueMicrotask(() => out.forEach((b) => this.handlers.forEach((h) => h(b))));
  }

  onDatagram(handler: (buf: Buffer) => void): void {
    this.handlers.push(handler);
  }

  onError(): void {}

  close(): void {}

  private handle(buf: Buffer, msg: RawMessage, out: Buffer[]): void {
    const ack = (errno: number): void => {
      if (errno === 0 && !(msg.flags & NLM_F_ACK)) return;
      const b = Buffer.alloc(NLMSG_HDRLEN + 4 + NLMSG_HDRLEN);
      b.writeUInt32LE(b.length, 0);
      b.writeUInt16LE(NLMSG_ERROR, 4);
      b.writeUInt16LE(0x100 /* NLM_F_CAPPED */, 6);
      b.writeUInt32LE(msg.seq, 8);
      b.writeInt32LE(-errno, 16);
      buf.copy(b, 20, msg.payload - NLMSG_HDRLEN, msg.payload);
      out.push(b);
    };
    const reply = (attrs: AttrValues, table = cmdTable, multi = false): void => {
      out.push(encodeGenlMessage({ family: msg.type, cmd: Cmd.SET_INFO, version: IPVS_GENL_VERSION, flags: multi ? NLM_F_MULTI : 0, seq: msg.seq }, table, attrs));
    };
    if (msg.type === GENL_ID_CTRL) {
      if (this.options.ipvs === false) return ack(E.ENOENT);
      out.push(encodeGenlMessage({ family: GENL_ID_CTRL, cmd: CTRL_CMD_NEWFAMILY, version: 2, flags: 0, seq: msg.seq }, ctrlTable, { familyId: FAMILY_ID, familyName: 'IPVS', version: 1, maxAttr: 6 }));
      return ack(0);
    }
    if (msg.type !== FAMILY_ID) return ack(E.EOPNOTSUPP);
    const a = decodeAttrs(cmdTable, buf, genlAttrsStart(msg), msg.end);
    const s = a.service as AttrValues | undefined;
    const d = a.dest as AttrValues | undefined;
    const entry = s ? this.services.get(keyOf(s)) : undefined;
    const dump = (rows: AttrValues[]): void => {
      rows.forEach((r) => reply(r, cmdTable, true));
      const done = Buffer.alloc(NLMSG_HDRLEN + 4);
      done.writeUInt32LE(done.length, 0);
      done.writeUInt16LE(NLMSG_DONE, 4);
      done.writeUInt16LE(NLM_F_MULTI, 6);
      done.writeUInt32LE(msg.seq, 8);
      out.push(done);
    };
    switch (genlCmd(buf, msg)) {
      case Cmd.GET_INFO:
        reply({ version: 0x010201, connTabSize: 4096 }, infoTable);
        return ack(0);
      case Cmd.GET_CONFIG:
        reply({ timeoutTcp: this.timeouts.tcp, timeoutTcpFin: this.timeouts.tcpFin, timeoutUdp: this.timeouts.udp });
        return ack(0);
      case Cmd.SET_CONFIG:
        this.timeouts = {
          tcp: (a.timeoutTcp as number) || this.timeouts.tcp,
          tcpFin: (a.timeoutTcpFin as number) || this.timeouts.tcpFin,
          udp: (a.timeoutUdp as number) || this.timeouts.udp,
        };
        return ack(0);
      case Cmd.GET_SERVICE:
        if (!(msg.flags & NLM_F_DUMP)) return ack(E.EOPNOTSUPP);
        return dump([...this.services.values()].map((e) => ({ service: serviceToWire(e.svc) })));
      case Cmd.GET_DEST:
        if (!entry) return dump([]);
        return dump([...entry.dests.values()].reverse().map((x) => ({ dest: { ...destToWire(x), activeConns: 0, inactConns: 0, persistConns: 0 } })));
      case Cmd.GET_DAEMON:
        return dump([]);
      case Cmd.NEW_SERVICE: {
        if (!s) return ack(E.EINVAL);
        if (entry) return ack(E.EEXIST);
        const svc = serviceFromWire(s);
        if (!this.schedulers.has(svc.scheduler)) return ack(E.ENOENT);
        this.services.set(keyOf(s), { svc, dests: new Map() });
        return ack(0);
      }
      case Cmd.SET_SERVICE: {
        if (!s) return ack(E.EINVAL);
        if (!entry) return ack(E.ESRCH);
        const svc = serviceFromWire(s);
        if (!this.schedulers.has(svc.scheduler)) return ack(E.ENOENT);
        entry.svc = svc;
        return ack(0);
      }
      case Cmd.DEL_SERVICE:
        if (!s || !entry) return ack(E.ESRCH);
        this.services.delete(keyOf(s));
        return ack(0);
      case Cmd.NEW_DEST:
      case Cmd.SET_DEST:
      case Cmd.DEL_DEST: {
        if (!s || !d) return ack(E.EINVAL);
        if (!entry) return ack(E.ESRCH);
        const k = destKeyOf(d);
        const c = genlCmd(buf, msg);
        if (c === Cmd.NEW_DEST && entry.dests.has(k)) return ack(E.EEXIST);
        if (c !== Cmd.NEW_DEST && !entry.dests.has(k)) return ack(E.ENOENT);
        if (c === Cmd.DEL_DEST) entry.dests.delete(k);
        else entry.dests.set(k, destFromWire(d, familyFromNumber(s.af as number)));
        return ack(0);
      }
      case Cmd.FLUSH:
        this.services.clear();
        return ack(0);
      case Cmd.ZERO:
        return ack(s && !entry ? E.ESRCH : 0);
      default:
        return ack(E.EOPNOTSUPP);
    }
  }
}
