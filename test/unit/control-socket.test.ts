// Unit tests: the control socket on this machine — root-only mode, one daemon per socket (stale replaced, live
// refused), newline-delimited JSON validated both ways, typed errors; and the CLI clients over it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeResult, runOverride, runStatus } from '../../src/cli/control.js';
import { controlRequest } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import { parseReply, parseRequest, type ControlRequest, type OverrideResult } from '../../src/control/protocol.js';
import { ControlServer, probeSocket } from '../../src/control/server.js';

const dirs: string[] = [];
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sockPath(sub = 'run/lvsd'): string {
  const d = mkdtempSync(join(tmpdir(), 'lvsd-control-'));
  dirs.push(d);
  return join(d, sub, 'lvsd.sock');
}

async function listen(path: string, handle?: (req: ControlRequest) => Promise<unknown>): Promise<ControlServer> {
  const s = await ControlServer.listen(path);
  servers.push(s);
  if (handle) s.handler = { handle };
  return s;
}

/** rawLines sends raw text and collects `n` reply lines. */
function rawLines(path: string, text: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(text));
    s.on('data', (c: string) => {
      buf += c;
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        s.end();
        resolve(lines);
      }
    });
    s.on('error', reject);
  });
}

const overrideReply = (op: 'drain' | 'disable' | 'enable'): OverrideResult => ({ op, vs: '[192.168.56.131]:tcp:80', rs: '192.168.56.101:80', mode: op === 'enable' ? null : op, previous: null, changed: true, stale: false, destinations: [{ service: 'TCP 192.168.56.131:80', present: op !== 'disable', weight: op === 'drain' ? 0 : 1, activeConns: 2, inactiveConns: 1 }] });

describe('control socket: the file', () => {
  it('is a socket of mode 0600 in a folder it creates with mode 0700', async () => {
    const path = sockPath();
    await listen(path);
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('replaces the stale socket of a daemon that died', async () => {
    const path = sockPath('');
    // a process that binds the socket and is killed: the file stays, nobody answers
    spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path]);
    expect(statSync(path).isSocket()).toBe(true);
    expect(await probeSocket(path)).toBe('stale');
    await listen(path, async () => ({}));
    expect(await probeSocket(path)).toBe('live');
  });

  it('refuses to start while another daemon answers on the socket', async () => {
    const path = sockPath();
    await listen(path);
    const err = await ControlServer.listen(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('CONTROL_ALREADY_RUNNING');
    expect((err as ControlError).message).toMatch(/another lvsd is running: it answers on .*lvsd\.sock/);
  });

  it('refuses a path that is not a socket', async () => {
    const path = sockPath('');
    writeFileSync(path, 'not a socket');
    await expect(ControlServer.listen(path)).rejects.toMatchObject({ code: 'CONTROL_SOCKET' });
  });

  it('close removes the socket file', async () => {
    const path = sockPath();
    const s = await ControlServer.listen(path);
    await s.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe('control socket: the protocol', () => {
  it('answers each request line with one reply line, in order, echoing ids', async () => {
    const path = sockPath();
    await listen(path, async (req) => ({ op: req.op }));
    const lines = await rawLines(path, '{"id":1,"op":"status"}\n{"id":2,"op":"drain","vs":"1.2.3.4:80","rs":"1.2.3.5:80"}\n', 2);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { id: 1, ok: true, result: { op: 'status' } },
      { id: 2, ok: true, result: { op: 'drain' } },
    ]);
  });

  it.each([
    { line: 'nonsense', error: /^request is not JSON/ },
    { line: '{"op":"reboot"}', error: /^bad request \(op: .*ops are status, drain, disable, enable, connections/ },
    { line: '{"op":"drain","vs":"1.2.3.4:80"}', error: /rs: / },
    { line: '{"op":"status","extra":1}', error: /bad request/ },
  ])('a bad request gets CONTROL_BAD_REQUEST and the connection stays usable: $line', async ({ line, error }) => {
    const path = sockPath();
    await listen(path, async () => ({ fine: true }));
    const [bad, good] = await rawLines(path, `${line}\n{"op":"status"}\n`, 2);
    const b = JSON.parse(bad!);
    expect(b.ok).toBe(false);
    expect(b.error.code).toBe('CONTROL_BAD_REQUEST');
    expect(b.error.message).toMatch(error);
    expect(JSON.parse(good!)).toEqual({ ok: true, result: { fine: true } });
  });

  it('a handler error keeps its code; anything else is CONTROL_INTERNAL', async () => {
    const path = sockPath();
    await listen(path, async (req) => {
      if (req.op === 'drain') throw new ControlError('CONTROL_UNKNOWN_RS', 'no real server');
      throw new Error('boom');
    });
    const lines = await rawLines(path, '{"op":"drain","vs":"a","rs":"b"}\n{"op":"status"}\n', 2);
    expect(lines.map((l) => JSON.parse(l).error.code)).toEqual(['CONTROL_UNKNOWN_RS', 'CONTROL_INTERNAL']);
  });

  it('requests before the daemon is ready are CONTROL_STARTING', async () => {
    const path = sockPath();
    await listen(path);
    await expect(controlRequest(path, { op: 'status' })).rejects.toMatchObject({ code: 'CONTROL_STARTING' });
  });

  it('the client validates the result against the op schema', async () => {
    const path = sockPath();
    await listen(path, async () => ({ op: 'drain', vs: 'x' }));
    await expect(controlRequest(path, { op: 'drain', vs: 'a', rs: 'b' })).rejects.toMatchObject({ code: 'CONTROL_BAD_REPLY' });
    expect(() => parseReply('{"ok":true}', 'status')).toThrow(/malformed/);
    expect(parseRequest('{"op":"enable","vs":"a","rs":"b"}')).toEqual({ op: 'enable', vs: 'a', rs: 'b', protocol: 'tcp' });
  });

  it('no daemon is CONTROL_NOT_RUNNING naming the socket', async () => {
    const path = sockPath();
    await expect(controlRequest(path, { op: 'status' })).rejects.toMatchObject({ code: 'CONTROL_NOT_RUNNING', message: expect.stringContaining(path) });
  });
});

describe('control CLI over the socket', () => {
  const capture = () => {
    const out: string[] = [];
    return { out, w: { write: (t: string) => void out.push(t) } };
  };

  it('drain prints what the kernel holds after the pass', async () => {
    const path = sockPath();
    const seen: ControlRequest[] = [];
    await listen(path, async (req) => {
      seen.push(req);
      return overrideReply('drain');
    });
    const c = capture();
    await runOverride('drain', '192.168.56.131:53', '192.168.56.101:53', { controlSocket: path, udp: true }, c.w);
    expect(seen).toEqual([{ op: 'drain', vs: '192.168.56.131:53', protocol: 'udp', rs: '192.168.56.101:53' }]);
    expect(c.out.join('')).toBe('192.168.56.101:80 of [192.168.56.131]:tcp:80 drained: weight 0 in TCP 192.168.56.131:80 (2 active, 1 inactive connections)\n');
  });

  it('drain --wait polls the connection counts until none are left', async () => {
    const path = sockPath();
    let polls = 0;
    await listen(path, async (req) => {
      if (req.op !== 'connections') return overrideReply('drain');
      polls++;
      const left = Math.max(0, 3 - polls);
      return { vs: 'V', rs: 'R', active: left, inactive: left, destinations: [] };
    });
    const c = capture();
    await runOverride('drain', 'V', 'R', { controlSocket: path, wait: true, timeout: '30' }, c.w, async () => undefined);
    expect(polls).toBe(3);
    expect(c.out.at(-1)).toMatch(/^R of V has no connections left \(after \d+\.\d s\)\n$/);
  });

  it('drain --wait gives up at the timeout with exit status 3, the server staying drained', async () => {
    const path = sockPath();
    await listen(path, async (req) => (req.op === 'connections' ? { vs: 'V', rs: 'R', active: 1, inactive: 4, destinations: [] } : overrideReply('drain')));
    const err = await runOverride('drain', 'V', 'R', { controlSocket: path, wait: true, timeout: '0' }, capture().w).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 3, message: expect.stringMatching(/^R of V still has 1 active and 4 inactive connections after .* s; it stays drained/) });
  });

  it('errors from the daemon become CLI errors with the code', async () => {
    const path = sockPath();
    await listen(path, async () => {
      throw new ControlError('CONTROL_UNKNOWN_VS', 'no virtual server 10.0.0.1:80 (tcp) in the running configuration; it has: 192.168.56.131:80 (tcp)');
    });
    await expect(runOverride('disable', '10.0.0.1:80', '10.0.0.2:80', { controlSocket: path }, capture().w)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/it has: 192\.168\.56\.131:80 \(tcp\) \[CONTROL_UNKNOWN_VS\]$/) });
  });

  it('status --json prints the report as it came', async () => {
    const path = sockPath();
    const report = { version: 1, at: '2026-11-22T07:00:00.000Z', ipvs: null, services: [], virtualServers: [], overrides: [], vrrp: [] };
    await listen(path, async () => report);
    const c = capture();
    await runStatus({ controlSocket: path, json: true }, c.w);
    expect(JSON.parse(c.out.join(''))).toEqual(report);
  });

  it.each([
    { r: { ...overrideReply('disable'), changed: false }, text: /was already disabled: not in TCP 192\.168\.56\.131:80$/ },
    { r: { ...overrideReply('enable'), changed: false }, text: /had no override: it follows configuration and health/ },
    { r: { ...overrideReply('enable'), stale: true, destinations: [] }, text: /enabled: the stale override is forgotten$/ },
  ])('describeResult: $text', ({ r, text }) => {
    expect(describeResult(r)).toMatch(text);
  });
});
