// Health layer (pure codec): the frames between lvsd and its spawn helper (native/spawn-helper.c) — run, kill, kill-all requests; results.
//
// Every frame is a u32 length of what follows, then the body; numbers in this machine's byte order (the helper is a
// child process on the same machine). Bodies:
//   run       u8 1, u32 id, u32 timeoutMs, u32 maxOutput, u32 uid, u32 gid, u8 switchUser, u16 argc, u16 envc,
//             argc + envc NUL-terminated strings (environment entries as NAME=value)
//   kill all  u8 2
//   kill one  u8 3, u32 id
//   response  u32 id, u8 kind, i32 value, u8 flags, u32 durationUs, u32 stdout length, stdout, u32 stderr length, stderr
import { endianness } from 'node:os';

const LE = endianness() === 'LE';
const RUN_FIXED = 26;
const RESPONSE_FIXED = 4 + 1 + 4 + 1 + 4 + 4 + 4;

/** SPAWN_PROTOCOL is the helper protocol version its hello frame carries. */
export const SPAWN_PROTOCOL = 1;

/** SpawnRequest is a request to the helper: start a script, kill one, or kill all. */
export type SpawnRequest =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly timeoutMs: number;
      readonly maxOutput: number;
      /** uid/gid to switch to; undefined runs as the helper's own user */
      readonly as?: { readonly uid: number; readonly gid: number } | undefined;
      readonly argv: readonly string[];
      readonly env: readonly string[];
    }
  | { readonly type: 'kill-all' }
  | { readonly type: 'kill'; readonly id: number };

/** SpawnOutcome is a response's kind: the script exited, was killed by a signal, never started, or the helper said hello. */
export type SpawnOutcome = 'exited' | 'signaled' | 'not-started' | 'hello';
const OUTCOMES: readonly SpawnOutcome[] = ['exited', 'signaled', 'not-started', 'hello'];

/** SpawnResponse is the helper's report: `value` is the exit code, signal number, errno or protocol version by kind. */
export interface SpawnResponse {
  readonly id: number;
  readonly kind: SpawnOutcome;
  readonly value: number;
  readonly timedOut: boolean;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly durationUs: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** SpawnCodecError is a frame that cannot be encoded or decoded (a bug or a broken helper, never user input). */
export class SpawnCodecError extends Error {
  readonly code = 'SPAWN_BAD_FRAME';
}

/** spawnRequestLength is the encoded size of `req`, length prefix included. */
export function spawnRequestLength(req: SpawnRequest): number {
  if (req.type === 'kill-all') return 4 + 1;
  if (req.type === 'kill') return 4 + 5;
  let n = 4 + RUN_FIXED;
  for (const s of req.argv) n += Buffer.byteLength(s) + 1;
  for (const s of req.env) n += Buffer.byteLength(s) + 1;
  return n;
}

/** encodeSpawnRequest writes `req` into `buf` at `offset` (a new buffer when none is given). */
export function encodeSpawnRequest(req: SpawnRequest, buf: Buffer = Buffer.alloc(spawnRequestLength(req)), offset = 0): Buffer {
  const len = spawnRequestLength(req);
  u32(buf, len - 4, offset);
  const p = offset + 4;
  if (req.type === 'kill-all') {
    buf[p] = 2;
    return buf;
  }
  if (req.type === 'kill') {
    buf[p] = 3;
    u32(buf, req.id, p + 1);
    return buf;
  }
  if (req.argv.length === 0 || req.argv.length > 0xffff || req.env.length > 0xffff) throw new SpawnCodecError(`run request ${req.id}: ${req.argv.length} arguments and ${req.env.length} environment entries cannot be sent`);
  buf[p] = 1;
  u32(buf, req.id, p + 1);
  u32(buf, req.timeoutMs, p + 5);
  u32(buf, req.maxOutput, p + 9);
  u32(buf, req.as?.uid ?? 0, p + 13);
  u32(buf, req.as?.gid ?? 0, p + 17);
  buf[p + 21] = req.as ? 1 : 0;
  u16(buf, req.argv.length, p + 22);
  u16(buf, req.env.length, p + 24);
  let at = p + RUN_FIXED;
  for (const s of [...req.argv, ...req.env]) {
    if (s.includes('\0')) throw new SpawnCodecError(`run request ${req.id}: a string contains NUL`);
    at += buf.write(s, at);
    buf[at++] = 0;
  }
  return buf;
}

/** decodeSpawnRequest reads the request frame at `offset` (the helper's side; used by fakes and tests). */
export function decodeSpawnRequest(buf: Buffer, offset = 0): SpawnRequest {
  const body = frame(buf, offset);
  const type = body[0];
  if (type === 2) return { type: 'kill-all' };
  if (type === 3 && body.length >= 5) return { type: 'kill', id: r32(body, 1) };
  if (type !== 1 || body.length < RUN_FIXED) throw new SpawnCodecError(`request of type ${type} and ${body.length} bytes is not valid`);
  const argc = r16(body, 22);
  const envc = r16(body, 24);
  const strings: string[] = [];
  let at = RUN_FIXED;
  for (let i = 0; i < argc + envc; i++) {
    const nul = body.indexOf(0, at);
    if (nul < 0) throw new SpawnCodecError(`run request: string ${i} has no NUL`);
    strings.push(body.toString('utf8', at, nul));
    at = nul + 1;
  }
  const sw = body[21] === 1;
  return {
    type: 'run',
    id: r32(body, 1),
    timeoutMs: r32(body, 5),
    maxOutput: r32(body, 9),
    ...(sw ? { as: { uid: r32(body, 13), gid: r32(body, 17) } } : {}),
    argv: strings.slice(0, argc),
    env: strings.slice(argc),
  };
}

/** spawnResponseLength is the encoded size of `res`, length prefix included. */
export function spawnResponseLength(res: SpawnResponse): number {
  return 4 + RESPONSE_FIXED + res.stdout.length + res.stderr.length;
}

/** encodeSpawnResponse writes `res` into `buf` at `offset` (the helper's side; used by fakes and tests). */
export function encodeSpawnResponse(res: SpawnResponse, buf: Buffer = Buffer.alloc(spawnResponseLength(res)), offset = 0): Buffer {
  let at = offset;
  u32(buf, spawnResponseLength(res) - 4, at);
  u32(buf, res.id, (at += 4));
  buf[(at += 4)] = OUTCOMES.indexOf(res.kind);
  LE ? buf.writeInt32LE(res.value, (at += 1)) : buf.writeInt32BE(res.value, (at += 1));
  buf[(at += 4)] = (res.timedOut ? 1 : 0) | (res.stdoutTruncated ? 2 : 0) | (res.stderrTruncated ? 4 : 0);
  u32(buf, res.durationUs, (at += 1));
  u32(buf, res.stdout.length, (at += 4));
  res.stdout.copy(buf, (at += 4));
  u32(buf, res.stderr.length, (at += res.stdout.length));
  res.stderr.copy(buf, at + 4);
  return buf;
}

/** decodeSpawnResponse reads the response frame at `offset`. */
export function decodeSpawnResponse(buf: Buffer, offset = 0): SpawnResponse {
  const body = frame(buf, offset);
  if (body.length < RESPONSE_FIXED) throw new SpawnCodecError(`response of ${body.length} bytes is too short`);
  const kind = OUTCOMES[body[4] as number];
  if (!kind) throw new SpawnCodecError(`response kind ${body[4]} is not known`);
  const flags = body[9] as number;
  const outLen = r32(body, 14);
  if (18 + outLen + 4 > body.length) throw new SpawnCodecError('response stdout runs past the frame');
  const errLen = r32(body, 18 + outLen);
  if (22 + outLen + errLen !== body.length) throw new SpawnCodecError('response stderr does not end the frame');
  return {
    id: r32(body, 0),
    kind,
    value: LE ? body.readInt32LE(5) : body.readInt32BE(5),
    timedOut: (flags & 1) !== 0,
    stdoutTruncated: (flags & 2) !== 0,
    stderrTruncated: (flags & 4) !== 0,
    durationUs: r32(body, 10),
    stdout: body.subarray(18, 18 + outLen),
    stderr: body.subarray(22 + outLen, 22 + outLen + errLen),
  };
}

/** frameLength is the size of the whole frame starting at `offset`, or undefined while its length prefix is incomplete. */
export function frameLength(buf: Buffer, offset = 0): number | undefined {
  return buf.length - offset < 4 ? undefined : 4 + r32(buf, offset);
}

function frame(buf: Buffer, offset: number): Buffer {
  const len = frameLength(buf, offset);
  if (len === undefined || offset + len > buf.length) throw new SpawnCodecError('frame is truncated');
  return buf.subarray(offset + 4, offset + len);
}

function u32(b: Buffer, v: number, at: number): void {
  LE ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
}
function u16(b: Buffer, v: number, at: number): void {
  LE ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
}
function r32(b: Buffer, at: number): number {
  return LE ? b.readUInt32LE(at) : b.readUInt32BE(at);
}
function r16(b: Buffer, at: number): number {
  return LE ? b.readUInt16LE(at) : b.readUInt16BE(at);
}
