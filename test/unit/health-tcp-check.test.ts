// Unit tests: the TCP_CHECK probe against real loopback sockets — success, refusal, timeout (a listener whose queue is full), bindto, bind failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpCheck } from '../../src/health/tcp-check.js';

const servers: Server[] = [];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];

afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
});

function listen(onConn: (s: Socket) => void = (s) => s.destroy(), host = '127.0.0.1'): Promise<number> {
  const srv = createServer(onConn);
  servers.push(srv);
  return new Promise((resolve) => srv.listen(0, host, () => resolve((srv.address() as AddressInfo).port)));
}

/** stalledListener is a listener in a stopped child process with a backlog of 1: once its queue is full the kernel drops SYNs, so connects hang. */
async function stalledListener(): Promise<number> {
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })"], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
  child.kill('SIGSTOP');
  // fill the accept queue: these complete in the kernel, later SYNs are dropped
  for (let i = 0; i < 4; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  return port;
}

describe('health tcp-check (real sockets on 127.0.0.1)', () => {
  it('an accepting listener is a success, and the socket is closed right after', async () => {
    let closed!: Promise<void>;
    const port = await listen((s) => {
      closed = new Promise((resolve) => s.on('end', () => resolve()).on('close', () => resolve()));
      s.resume();
    });
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, connectTimeoutMs: 2000 });
    expect(r.ok).toBe(true);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs).toBeLessThan(1000);
    await closed; // the checker hung up without being asked
  });

  it('a closed port is ECONNREFUSED, as a value', async () => {
    const port = await listen();
    await new Promise<void>((resolve) => (servers.pop() as Server).close(() => resolve()));
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, connectTimeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
    expect(r.ok === false && r.local).toBe(false);
  });

  it('a listener that never answers is a timeout after connect_timeout', async () => {
    const port = await stalledListener();
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, connectTimeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(295);
    expect(r.latencyMs).toBeLessThan(1500);
  });

  it('a connect that completed while the event loop was blocked is not a timeout', async () => {
    const port = await listen();
    // start from a setImmediate callback, so that the timers phase (the expired timeout) comes before the poll phase (the connect)
    const { pending } = await new Promise<{ pending: ReturnType<typeof tcpCheck> }>((resolve) =>
      setImmediate(() => {
        const p = tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, connectTimeoutMs: 30 });
        const until = performance.now() + 200;
        while (performance.now() < until) {
          // a busy event loop: both the connect and the timeout are due when it frees up
        }
        resolve({ pending: p });
      }),
    );
    const r = await pending;
    expect(r.ok).toBe(true);
    expect(r.latencyMs).toBeGreaterThanOrEqual(199);
  });

  it('bindto connects from the given local address', async () => {
    let from = '';
    const port = await listen((s) => {
      from = s.remoteAddress ?? '';
      s.destroy();
    });
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, bindTo: '127.0.0.2', connectTimeoutMs: 2000 });
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 50));
    expect(from).toBe('127.0.0.2');
  });

  it('a bind_port already in use is a local failure, not a verdict on the server', async () => {
    const port = await listen();
    const busy = await listen(undefined, '127.0.0.3');
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: port, bindTo: '127.0.0.3', bindPort: busy, connectTimeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, reason: 'EADDRINUSE', local: true });
  });

  it('an invalid target is a failure value, never a throw', async () => {
    const r = await tcpCheck({ family: 'inet', connectIp: '127.0.0.1', connectPort: 70000, connectTimeoutMs: 200 });
    expect(r.ok).toBe(false);
  });
});
