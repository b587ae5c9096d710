// Health layer (I/O edge): TCP_CHECK's probe — one TCP connect with a timeout, closed as soon as it succeeds; failures are values.
import { connect, type Socket } from 'node:net';

/** TcpTarget is what one TCP_CHECK attempt connects to, and from. */
export interface TcpTarget {
  readonly family: 'inet' | 'inet6';
  readonly connectIp: string;
  readonly connectPort: number;
  /** bindto: the local address to connect from */
  readonly bindTo?: string | undefined;
  /** bind_port: the local port to connect from */
  readonly bindPort?: number | undefined;
  readonly connectTimeoutMs: number;
}

/** CheckResult is one attempt's outcome: `local` failures (no socket, bind failed) say nothing about the server. */
export type CheckResult =
  | { readonly ok: true; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: string; readonly latencyMs: number; readonly local?: boolean | undefined };

/** Probe runs one attempt against a target; it never rejects. */
export type Probe = (target: TcpTarget) => Promise<CheckResult>;

/** LOCAL_ERRORS are errno codes that mean lvsd could not make the attempt (keepalived: "Rescheduling"), not that the server failed. */
const LOCAL_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRINUSE', 'EADDRNOTAVAIL', 'EINVAL']);

/** tcpCheck connects to target within its connect timeout, destroys the socket right after, and resolves to a CheckResult. */
export const tcpCheck: Probe = (target) =>
  new Promise<CheckResult>((resolve) => {
    const t0 = performance.now();
    const elapsed = (): number => performance.now() - t0;
    let socket: Socket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (result: CheckResult): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };
    try {
      socket = connect({
        host: target.connectIp,
        port: target.connectPort,
        family: target.family === 'inet6' ? 6 : 4,
        ...(target.bindTo ? { localAddress: target.bindTo } : {}),
        ...(target.bindPort ? { localPort: target.bindPort } : {}),
      });
    } catch (err) {
      // invalid options (bad address or port) are thrown synchronously by node:net
      finish({ ok: false, reason: errorCode(err), latencyMs: elapsed(), local: true });
      return;
    }
    // the verdict waits one poll phase: a connect that completed while the event loop was busy is not a timeout
    timer = setTimeout(() => setImmediate(() => finish({ ok: false, reason: 'timeout', latencyMs: elapsed() })), Math.max(1, target.connectTimeoutMs));
    socket.once('connect', () => finish({ ok: true, latencyMs: elapsed() }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = errorCode(err);
      finish({ ok: false, reason: code, latencyMs: elapsed(), local: err.syscall === 'bind' || LOCAL_ERRORS.has(code) });
    });
  });

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
