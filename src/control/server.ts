// Control layer (socket edge): the daemon's unix socket — root-only (0600 in a 0700 folder it creates), one
// daemon per socket (a live socket refuses a second lvsd, a stale one is replaced), newline-delimited JSON.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ControlError } from './errors.js';
import { encodeLine, errorReplyOf, MAX_LINE, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';

/** ControlHandler answers one validated request with its result (or throws a ControlError). */
export interface ControlHandler {
  handle(req: ControlRequest): Promise<unknown>;
}

/** probeSocket tells whether a daemon accepts connections on `path` ('live'), nobody does ('stale'), or there is no file ('absent'). */
export async function probeSocket(path: string, timeoutMs = 2000): Promise<'live' | 'stale' | 'absent'> {
  try {
    if (!lstatSync(path).isSocket()) throw new ControlError('CONTROL_SOCKET', `${path} exists and is not a socket: remove it or give another --control-socket`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve('live'); // connected slowly or not at all, but someone holds it: do not steal it
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('live');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('absent');
      else reject(new ControlError('CONTROL_SOCKET', `cannot check control socket ${path}: ${err.message}`));
    });
  });
}

/**
 * ControlServer listens on the control socket. It is bound before the daemon touches the kernel (the socket is
 * the "one lvsd per host" lock); requests that arrive before `handler` is set are answered CONTROL_STARTING.
 */
export class ControlServer {
  handler: ControlHandler | undefined;
  private readonly sockets = new Set<Socket>();
  private ino = -1;

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  /** listen replaces a stale socket file, refuses a live one (CONTROL_ALREADY_RUNNING), and binds with mode 0600. */
  static async listen(path: string): Promise<ControlServer> {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ControlError('CONTROL_SOCKET', `cannot create the folder of control socket ${path}: ${(err as Error).message} (give another --control-socket)`);
    }
    const state = await probeSocket(path);
    if (state === 'live') throw new ControlError('CONTROL_ALREADY_RUNNING', `another lvsd is running: it answers on ${path}. Stop it first, or give this one another --control-socket`);
    if (state === 'stale') unlinkSync(path);
    const server = createServer();
    const cs = new ControlServer(path, server);
    server.on('connection', (s) => cs.serve(s));
    await new Promise<void>((resolve, reject) => {
      const old = process.umask(0o177); // the socket is born 0600: never a moment with wider permissions
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new ControlError('CONTROL_ALREADY_RUNNING', `another lvsd is running: it listens on ${path}`) : new ControlError('CONTROL_SOCKET', `cannot listen on control socket ${path}: ${err.message} (give another --control-socket)`));
      });
      try {
        server.listen(path, () => resolve());
      } finally {
        process.umask(old);
      }
    });
    chmodSync(path, 0o600);
    cs.ino = lstatSync(path).ino;
    // the socket alone does not keep the process alive, and a process that exits without close() leaves no file
    server.unref();
    process.once('exit', cs.unlinkOwn);
    return cs;
  }

  private serve(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = '';
    let chain = Promise.resolve();
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        s.end(encodeLine(errorReplyOf(new ControlError('CONTROL_BAD_REQUEST', `request longer than ${MAX_LINE} bytes`))));
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        // one connection's requests are answered in order
        chain = chain.then(async () => {
          const reply = await this.answer(line);
          if (!s.destroyed) s.write(encodeLine(reply));
        });
      }
    });
  }

  /** answer is the reply line for one request line. */
  async answer(line: string): Promise<ControlReply> {
    let req: ControlRequest;
    try {
      req = parseRequest(line);
    } catch (err) {
      return errorReplyOf(err);
    }
    const id = req.id !== undefined ? { id: req.id } : {};
    if (!this.handler) return errorReplyOf(new ControlError('CONTROL_STARTING', 'lvsd is starting (applying the configuration): try again in a moment'), req.id);
    try {
      return { ...id, ok: true, result: await this.handler.handle(req) };
    } catch (err) {
      return errorReplyOf(err, req.id);
    }
  }

  /** close stops listening, ends open connections and removes the socket file (if it is still this server's). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.unlinkOwn();
    process.off('exit', this.unlinkOwn);
  }

  private readonly unlinkOwn = (): void => {
    try {
      if (lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      // already gone
    }
  };
}
