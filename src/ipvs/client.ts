// Protocol layer: the IPVS client: reads the table and applies batched writes over generic netlink.
import { decodeAttrs } from '../netlink/nla.js';
import { genlAttrsStart } from '../netlink/message.js';
import { decodeFamily, encodeGetFamily } from '../netlink/genl.js';
import { RequestFailure, Session, type BatchSource, type Reply, type SessionCounters } from '../netlink/session.js';
import { openNetlink, type Transport } from '../netlink/transport.js';
import { destOpLength, encodeDestOp, isDestOp } from './codec-dest.js';
import { encodeRequest, encodeRequestMessage, opToRequest, Query, requestLength, type IpvsRequest } from './codec.js';
import { daemonFromWire, destFromWire, infoFromWire, serviceFromWire, timeoutsFromWire } from './convert.js';
import { describeService, IpvsUnavailableError, NetlinkError } from './errors.js';
import type { Destination, Info, IpvsOp, Service, ServiceKey, SyncDaemon, Table, Timeouts } from './types.js';
import { cmdTable, infoTable, IPVS_GENL_NAME } from './wire.js';

const ENOENT = 2;

/** ApplyFailure is one operation of a batch the kernel refused. */
export interface ApplyFailure {
  readonly index: number;
  readonly op: IpvsOp;
  readonly error: NetlinkError;
}

/** ApplyOptions tune a batched write. */
export interface ApplyOptions {
  /** largest datagram in bytes (default 64 KiB) */
  readonly maxDatagram?: number;
  /** stop sending after the first datagram that had a failure */
  readonly stopOnError?: boolean;
}

/** IpvsClient talks to the kernel's IPVS generic netlink family. */
export class IpvsClient {
  private constructor(private readonly session: Session, readonly familyId: number) {}

  /** open resolves the IPVS family; IpvsUnavailableError when the kernel has no IPVS. */
  static async open(transport: Transport = openNetlink()): Promise<IpvsClient> {
    const session = new Session(transport);
    try {
      const [reply] = await session.request((seq) => encodeGetFamily(IPVS_GENL_NAME, seq));
      if (!reply) throw new IpvsUnavailableError(ENOENT);
      return new IpvsClient(session, decodeFamily(reply.buf, reply.msg).id);
    } catch (err) {
      session.close();
      if (err instanceof RequestFailure && err.errno === ENOENT) throw new IpvsUnavailableError(err.errno);
      throw err;
    }
  }

  /** counters are the datagrams and messages sent so far. */
  get counters(): Readonly<SessionCounters> {
    return this.session.counters;
  }

  private async query(req: IpvsRequest, what: string): Promise<Reply[]> {
    try {
      return await this.session.request((seq) => encodeRequestMessage(req, this.familyId, seq), req.dump ?? false);
    } catch (err) {
      if (err instanceof RequestFailure) throw new NetlinkError(err.errno, what);
      throw err;
    }
  }

  private static attrs(r: Reply) {
    return decodeAttrs(cmdTable, r.buf, genlAttrsStart(r.msg), r.msg.end);
  }

  /** info returns the IPVS version and connection table size. */
  async info(): Promise<Info> {
    const [r] = await this.query(Query.info(), 'get IPVS info');
    if (!r) throw new NetlinkError(ENOENT, 'get IPVS info', undefined, 'the kernel sent no IPVS info');
    return infoFromWire(decodeAttrs(infoTable, r.buf, genlAttrsStart(r.msg), r.msg.end));
  }

  /** services lists every virtual service in kernel order. */
  async services(): Promise<Service[]> {
    const replies = await this.query(Query.services(), 'list services');
    return replies.map((r) => serviceFromWire(IpvsClient.attrs(r).service as never));
  }

  /** dests lists one service's destinations in kernel order. */
  async dests(key: ServiceKey): Promise<Destination[]> {
    const replies = await this.query(Query.dests(key), `list destinations of ${describeService(key)}`);
    return replies.map((r) => destFromWire(IpvsClient.attrs(r).dest as never, key.family));
  }

  /** table reads every service with its destinations. */
  async table(): Promise<Table> {
    const services = await this.services();
    const out: { service: Service; dests: Destination[] }[] = [];
    for (const service of services) out.push({ service, dests: await this.dests(service.key) });
    return { services: out };
  }

  /** timeouts returns the TCP, TCP FIN and UDP timeouts. */
  async timeouts(): Promise<Timeouts> {
    const [r] = await this.query(Query.timeouts(), 'get timeouts');
    if (!r) throw new NetlinkError(ENOENT, 'get timeouts', undefined, 'the kernel sent no timeouts');
    return timeoutsFromWire(IpvsClient.attrs(r));
  }

  /** daemons lists the running connection sync daemons. */
  async daemons(): Promise<SyncDaemon[]> {
    const replies = await this.query(Query.daemons(), 'list sync daemons');
    return replies.map((r) => daemonFromWire(IpvsClient.attrs(r).daemon as never));
  }

  /** batch sends messages another encoder writes for this client's IPVS family (e.g. a compiled restore), batched; failures by index and errno. */
  batch(make: (familyId: number) => BatchSource): Promise<{ index: number; errno: number }[]> {
    return this.session.batch(make(this.familyId));
  }

  /** apply sends the operations in order, batched many to a datagram; failures come back matched to their operation. */
  async apply(ops: readonly IpvsOp[], options: ApplyOptions = {}): Promise<ApplyFailure[]> {
    const failures = await this.session.batch(opsSource(ops, this.familyId), options.maxDatagram, options.stopOnError);
    return failures.map((f) => ({ index: f.index, op: ops[f.index]!, error: new NetlinkError(f.errno, ops[f.index]!.op, ops[f.index]) }));
  }

  /** close releases the socket. */
  close(): void {
    this.session.close();
  }
}

/** withIpvsClient opens a client, runs fn with it and closes it, whatever fn does. */
export async function withIpvsClient<T>(fn: (c: IpvsClient) => Promise<T>): Promise<T> {
  const client = await IpvsClient.open();
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** opsSource writes operations as batch messages: destination commands straight into the datagram (codec-dest.ts), others through their request. */
function opsSource(ops: readonly IpvsOp[], family: number): BatchSource {
  // a datagram's lengths are all asked before its messages are written: requests built for length wait here for write
  const built = new Map<number, IpvsRequest>();
  return {
    count: ops.length,
    length(i) {
      const op = ops[i]!;
      if (isDestOp(op)) return destOpLength(op);
      const req = opToRequest(op);
      built.set(i, req);
      return requestLength(req);
    },
    write(i, buf, off, seq, ack) {
      const op = ops[i]!;
      if (isDestOp(op)) return encodeDestOp(op, family, seq, ack, buf, off);
      const req = built.get(i) ?? opToRequest(op);
      built.delete(i);
      return encodeRequest(req, family, seq, ack, buf, off);
    },
  };
}
