// Unit tests: the spawn helper's frames (round trips, golden bytes, offsets, bad frames) and the helper process's lifecycle.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeSpawnRequest,
  decodeSpawnResponse,
  encodeSpawnRequest,
  encodeSpawnResponse,
  frameLength,
  spawnRequestLength,
  spawnResponseLength,
  SpawnCodecError,
  type SpawnRequest,
  type SpawnResponse,
} from '../../src/health/spawn-codec.js';
import { HelperLauncher, SPAWN_HELPER_FILE, toLaunchResult } from '../../src/health/spawn-helper.js';
import { findNativeBuild } from '../../src/util/native.js';
import { alive } from '../support/proc.js';

const run: SpawnRequest = { type: 'run', id: 7, timeoutMs: 1500, maxOutput: 4096, as: { uid: 998, gid: 997 }, argv: ['/etc/keepalived/chk.sh', 'ä b'], env: ['PATH=/usr/bin', 'LANG=C'] };
const response: SpawnResponse = { id: 7, kind: 'signaled', value: 9, timedOut: true, stdoutTruncated: true, stderrTruncated: false, durationUs: 1_500_123, stdout: Buffer.from('partial'), stderr: Buffer.from('') };

/** testEncoder encodes at a non-zero offset inside a larger buffer and decodes it back from there. */
function atOffset<T>(value: T, length: (v: T) => number, encode: (v: T, b: Buffer, o: number) => Buffer, decode: (b: Buffer, o: number) => T): T {
  const buf = Buffer.alloc(length(value) + 13, 0xee);
  encode(value, buf, 5);
  expect(buf[4]).toBe(0xee);
  expect(buf[5 + length(value)]).toBe(0xee);
  return decode(buf, 5);
}

describe('spawn helper frames', () => {
  it('run, kill and kill-all requests round-trip, also at an offset', () => {
    for (const req of [run, { ...run, as: undefined }, { type: 'kill', id: 0xfffffffe } as const, { type: 'kill-all' } as const]) {
      const expected = req.type === 'run' && !req.as ? (({ as: _as, ...rest }) => rest)(req) : req;
      expect(decodeSpawnRequest(encodeSpawnRequest(req))).toEqual(expected);
      expect(atOffset(req, spawnRequestLength, encodeSpawnRequest, decodeSpawnRequest)).toEqual(expected);
    }
  });

  it('a run request has the layout native/spawn-helper.c reads', () => {
    if (endianness() !== 'LE') return; // the golden bytes are little-endian; the frames use the machine's order
    const golden = Buffer.from(
      '25000000' + // length of the body: 26 fixed + "/bin/x\0" (7) + "P=1\0" (4)
        '01' + '05000000' + 'e8030000' + '00100000' + 'e8030000' + '04000000' + '01' + '0100' + '0100' +
        Buffer.from('/bin/x\0P=1\0').toString('hex'),
      'hex',
    );
    expect(encodeSpawnRequest({ type: 'run', id: 5, timeoutMs: 1000, maxOutput: 4096, as: { uid: 1000, gid: 4 }, argv: ['/bin/x'], env: ['P=1'] })).toEqual(golden);
    expect(encodeSpawnRequest({ type: 'kill', id: 5 })).toEqual(Buffer.from('050000000305000000', 'hex'));
    expect(encodeSpawnRequest({ type: 'kill-all' })).toEqual(Buffer.from('0100000002', 'hex'));
  });

  it('responses round-trip, also at an offset, and frameLength waits for a whole prefix', () => {
    expect(decodeSpawnResponse(encodeSpawnResponse(response))).toEqual(response);
    expect(atOffset(response, spawnResponseLength, encodeSpawnResponse, decodeSpawnResponse)).toEqual(response);
    const b = encodeSpawnResponse(response);
    expect(frameLength(b)).toBe(b.length);
    expect(frameLength(b.subarray(0, 3))).toBeUndefined();
  });

  it('a truncated or inconsistent frame is a SpawnCodecError, never a wrong value', () => {
    const b = encodeSpawnResponse(response);
    expect(() => decodeSpawnResponse(b.subarray(0, b.length - 1))).toThrow(SpawnCodecError);
    const badKind = Buffer.from(b);
    badKind[8] = 9;
    expect(() => decodeSpawnResponse(badKind)).toThrow(/kind 9/);
    const longOut = Buffer.from(b);
    longOut.writeUInt32LE(1000, 18);
    if (endianness() === 'LE') expect(() => decodeSpawnResponse(longOut)).toThrow(/stdout runs past/);
    expect(() => encodeSpawnRequest({ ...run, argv: ['/bin/x\0y'] } as SpawnRequest)).toThrow(/NUL/);
    expect(() => encodeSpawnRequest({ ...run, argv: [] } as SpawnRequest)).toThrow(SpawnCodecError);
  });

  it('maps responses to the results a direct spawn gives', () => {
    expect(toLaunchResult(response, '/x')).toEqual({ code: null, signal: 'SIGKILL', timedOut: true, durationMs: 1500.123, stdout: 'partial\n[output truncated]', stderr: '' });
    expect(toLaunchResult({ ...response, kind: 'exited', value: 3, timedOut: false, stdoutTruncated: false }, '/x')).toMatchObject({ code: 3, signal: null, stdout: 'partial' });
    expect(toLaunchResult({ ...response, kind: 'not-started', value: 13 }, '/x')).toMatchObject({ code: null, error: 'EACCES: spawn /x EACCES' });
  });
});

const file = findNativeBuild(SPAWN_HELPER_FILE);
if (!file) throw new Error(`native/build/Release/${SPAWN_HELPER_FILE} is missing: run \`npm run setup\` (it builds native/)`);
const env = { PATH: '/usr/bin:/bin' };


async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe('spawn helper process', () => {
  it('closing the helper kills the scripts it still runs, with their children', async () => {
    const h = new HelperLauncher(file);
    await h.start();
    const l = h.launch({ argv: ['/bin/sh', '-c', 'sleep 60 & echo $!; wait'], timeoutMs: 60_000, maxOutputBytes: 100, env });
    await new Promise((r) => setTimeout(r, 300));
    await h.close();
    const r = await l.result;
    // the helper reported the kill before exiting, or the result says it exited: either way the script is gone
    expect(r.signal === 'SIGKILL' || /exited/.test(r.error ?? '')).toBe(true);
    const pid = Number(r.stdout.trim());
    if (pid > 0) expect(await until(() => !alive(pid))).toBe(true);
    await expect(h.launch({ argv: ["/bin/true"], timeoutMs: 1000, maxOutputBytes: 10, env }).result).resolves.toMatchObject({ error: 'lvsd is stopping: scripts are not started' });
  });

  it('a helper that never says hello is killed after the hello timeout, and start() rejects saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-mute-'));
    const mute = join(dir, 'mute-helper');
    writeFileSync(mute, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const started: number[] = [];
    const h = new HelperLauncher(mute, { started: (pid) => started.push(pid), helloTimeoutMs: 300 });
    const t0 = Date.now();
    await expect(h.start()).rejects.toThrow(`${mute} did not say hello within 300 ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await until(() => !alive(started[0] as number))).toBe(true);
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a helper that dies fails what it ran and is started again for the next script', async () => {
    const started: number[] = [];
    const exits: [string, number][] = [];
    const h = new HelperLauncher(file, { started: (pid) => started.push(pid), exited: (reason, lost) => exits.push([reason, lost]) });
    await h.start();
    const l = h.launch({ argv: ['/bin/sleep', '30'], timeoutMs: 60_000, maxOutputBytes: 100, env });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(started[0] as number, 'SIGKILL');
    expect((await l.result).error).toBe('the spawn helper exited (SIGKILL) while the script ran');
    expect(exits).toEqual([['the spawn helper exited (SIGKILL) while the script ran', 1]]);
    const again = await h.launch({ argv: ['/bin/sh', '-c', 'echo again; exit 4'], timeoutMs: 5000, maxOutputBytes: 100, env }).result;
    expect(again).toMatchObject({ code: 4, stdout: 'again\n' });
    expect(started).toHaveLength(2);
    await h.close();
  });

  it('a helper that cannot be started is a not-started result', async () => {
    const h = new HelperLauncher('/nonexistent/lvsd-spawn');
    await expect(h.start()).rejects.toThrow(/cannot start \/nonexistent\/lvsd-spawn: ENOENT/);
    const r = await h.launch({ argv: ['/bin/true'], timeoutMs: 1000, maxOutputBytes: 10, env }).result;
    expect(r.error).toBe('cannot start /nonexistent/lvsd-spawn: ENOENT: spawn /nonexistent/lvsd-spawn ENOENT');
    expect(r.code).toBeNull();
  });
});
