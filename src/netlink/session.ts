// Protocol layer: requests, dumps and batched writes over a netlink transport, replies matched by sequence number.
import { decodeError, NLMSG_DONE, NLMSG_ERROR, splitMessages, type RawMessage } from './message.js';
import type { Transport } from './transport.js';

/** Reply is one received message with the datagram that holds it. */
export interface Reply {
  readonly buf: Buffer;
  readonly msg: RawMessage;
}

/** RequestFailure is a negative acknowledgement: the errno the kernel returned for a request. */
export class RequestFailure extends Error {
  constructor(readonly errno: number, readonly seq: number) {
    super(`netlink request ${seq} failed with errno ${errno}`);
    this.name = 'RequestFailure';
  }
}

/** BatchFailure is one failed message of a batch, by its index in the batch. */
export interface BatchFailure {
  readonly index: number;
  readonly errno: number;
}

/** SessionCounters count what went over the socket: the figures the benchmark reports. */
export interface SessionCounters {
  datagramsSent: number;
  messagesSent: number;
  bytesSent: number;
  datagramsReceived: number;
  /** time spent handing datagrams to the kernel, in ms: a netlink datagram to the kernel is processed within sendmsg */
  sendMs: number;
}

interface Waiter {
  readonly dump: boolean;
  readonly replies: Reply[];
  resolve(r: Reply[]): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
}

interface Flight {
  readonly first: number;
  readonly last: number;
  readonly failures: BatchFailure[];
  resolve(): void;
  reject(e: Error): void;
}

/**
 * BatchSource is the messages of a batch, by index: each one's size and how to write it with a sequence number and
 * ack choice. Messages are written as the datagrams are filled, so a large batch never exists as objects at once.
 */
export interface BatchSource {
  readonly count: number;
  length(index: number): number;
  write(index: number, buf: Buffer, offset: number, seq: number, ack: boolean): number;
}

/** Session drives one netlink socket: one request or dump at a time per sequence number, batches one datagram at a time. */
export class Session {
  private seq: number;
  private readonly waiters = new Map<number, Waiter>();
  private flight: Flight | undefined;
  readonly counters: SessionCounters = { datagramsSent: 0, messagesSent: 0, bytesSent: 0, datagramsReceived: 0, sendMs: 0 };

  constructor(private readonly transport: Transport, private readonly timeoutMs = 10_000, firstSeq = Date.now() >>> 0) {
    this.seq = firstSeq;
    transport.onDatagram((buf) => this.receive(buf));
    transport.onError((err) => this.failAll(err));
  }

  /** nextSeq reserves a sequence number. */
  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  /** request sends one message (built for the given sequence number) and resolves with its replies once acked or done. */
  async request(build: (seq: number) => Buffer, dump = false): Promise<Reply[]> {
    const seq = this.nextSeq();
    const datagram = build(seq);
    const done = new Promise<Reply[]>((resolve, reject) => {
      const w: Waiter = { dump, replies: [], resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters.delete(seq);
        reject(new RequestFailure(110 /* ETIMEDOUT */, seq));
      }, this.timeoutMs);
      this.waiters.set(seq, w);
    });
    // the kernel's answer can arrive before the send completes: a refusal must not count as unhandled meanwhile
    done.catch(() => undefined);
    await this.sendDatagram(datagram, 1);
    return done;
  }

  /**
   * batch sends messages packed into datagrams of at most maxDatagram bytes. Only the last message of a datagram asks
   * for an acknowledgement; the kernel handles a datagram's messages in order and reports each failure, so the ack of
   * the last one means every earlier failure has arrived. Resolves with every failure, by message index.
   */
  async batch(messages: BatchSource, maxDatagram = 65536, stopOnError = false): Promise<BatchFailure[]> {
    const failures: BatchFailure[] = [];
    // one buffer for every datagram: each is sent and acknowledged before the next is written
    let buf = Buffer.allocUnsafe(0);
    let i = 0;
    while (i < messages.count) {
      let size = 0;
      let j = i;
      let next = messages.length(i);
      while (j < messages.count && (j === i || size + next <= maxDatagram)) {
        size += next;
        if (++j < messages.count) next = messages.length(j);
      }
      if (buf.length < size) buf = Buffer.allocUnsafe(Math.max(size, maxDatagram));
      const first = this.seq + 1;
      let off = 0;
      for (let k = i; k < j; k++) off = messages.write(k, buf, off, this.nextSeq(), k === j - 1);
      const last = this.seq;
      const landed = new Promise<void>((resolve, reject) => {
        this.flight = { first, last, failures: [], resolve, reject };
      });
      const flight = this.flight!;
      landed.catch(() => undefined); // may fail while the send is still under way; awaited below
      await this.sendDatagram(buf.subarray(0, size), j - i);
      await withTimeout(landed, this.timeoutMs, () => new RequestFailure(110, last));
      for (const f of flight.failures) failures.push({ index: i + (f.index - first), errno: f.errno });
      if (stopOnError && flight.failures.length > 0) break;
      i = j;
    }
    this.flight = undefined;
    return failures;
  }

  private async sendDatagram(buf: Buffer, messages: number): Promise<void> {
    this.counters.datagramsSent++;
    this.counters.messagesSent += messages;
    this.counters.bytesSent += buf.length;
    const t0 = process.hrtime.bigint();
    const sent = this.transport.send(buf);
    this.counters.sendMs += Number(process.hrtime.bigint() - t0) / 1e6;
    await sent;
  }

  private receive(buf: Buffer): void {
    this.counters.datagramsReceived++;
    for (const msg of splitMessages(buf)) {
      const f = this.flight;
      if (f && msg.type === NLMSG_ERROR && msg.seq >= f.first && msg.seq <= f.last) {
        const e = decodeError(buf, msg);
        if (e.errno !== 0) f.failures.push({ index: msg.seq, errno: e.errno });
        if (msg.seq === f.last) f.resolve();
        continue;
      }
      const w = this.waiters.get(msg.seq);
      if (!w) continue;
      if (msg.type === NLMSG_ERROR) {
        const e = decodeError(buf, msg);
        this.finish(msg.seq, w, e.errno === 0 ? undefined : new RequestFailure(e.errno, msg.seq));
      } else if (msg.type === NLMSG_DONE) {
        // a dump that failed part-way carries the (negative) errno in its DONE message
        const status = msg.end - msg.payload >= 4 ? buf.readInt32LE(msg.payload) : 0;
        this.finish(msg.seq, w, status < 0 ? new RequestFailure(-status, msg.seq) : undefined);
      } else {
        w.replies.push({ buf, msg });
      }
    }
  }

  private finish(seq: number, w: Waiter, err?: Error): void {
    this.waiters.delete(seq);
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(w.replies);
  }

  private failAll(err: Error): void {
    for (const [seq, w] of this.waiters) this.finish(seq, w, err);
    this.flight?.reject(err);
  }

  /** close releases the transport. */
  close(): void {
    this.transport.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(err()), ms)))]).finally(() => clearTimeout(t));
}
