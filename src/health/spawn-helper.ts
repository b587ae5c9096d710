// Health layer (I/O edge): the Launcher that hands scripts to lvsd-spawn (native/spawn-helper.c), so the daemon never forks itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { findNativeBuild } from '../util/native.js';
import { errText, notStarted, TRUNCATED_MARK, type Launch, type Launcher, type LaunchRequest, type LaunchResult } from './launcher.js';
import { decodeSpawnResponse, encodeSpawnRequest, frameLength, SPAWN_PROTOCOL, type SpawnRequest, type SpawnResponse } from './spawn-codec.js';

/** SPAWN_HELPER_FILE is the helper executable's name under native/build/Release. */
export const SPAWN_HELPER_FILE = 'lvsd-spawn';

/** HelperEvents are what the helper launcher reports: the helper started, or it exited (and will be started again on the next run). */
export interface HelperEvents {
  started?(pid: number): void;
  exited?(reason: string, lost: number): void;
  /** ms a starting helper has to say hello (default HELLO_TIMEOUT_MS) */
  readonly helloTimeoutMs?: number;
}

interface Pending {
  readonly resolve: (r: LaunchResult) => void;
  readonly argv0: string;
  readonly backstop: NodeJS.Timeout;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
/** HELLO_TIMEOUT_MS is how long a starting helper has to say hello before it is killed and lvsd forks scripts itself. */
const HELLO_TIMEOUT_MS = 10_000;

/** signalName maps a signal number to its name (SIGKILL for 9). */
export function signalName(n: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(n) ?? null;
}

/** errnoName maps an errno to its code (ENOENT for 2), as Node's spawn errors name them. */
export function errnoName(n: number): string {
  for (const [name, v] of Object.entries(constants.errno)) if (v === n) return name;
  return `errno ${n}`;
}

/** toLaunchResult maps a helper response to the result a direct spawn would give. */
export function toLaunchResult(res: SpawnResponse, argv0: string): LaunchResult {
  if (res.kind === 'not-started') {
    const code = errnoName(res.value);
    return notStarted(`${code}: spawn ${argv0} ${code}`);
  }
  return {
    code: res.kind === 'exited' ? res.value : null,
    signal: res.kind === 'signaled' ? signalName(res.value) : null,
    timedOut: res.timedOut,
    durationMs: res.durationUs / 1000,
    stdout: res.stdout.toString('utf8') + (res.stdoutTruncated ? TRUNCATED_MARK : ''),
    stderr: res.stderr.toString('utf8') + (res.stderrTruncated ? TRUNCATED_MARK : ''),
  };
}

/** HelperLauncher runs scripts through one long-lived lvsd-spawn process, started by `start()` (or the first launch)
 * and again after it dies; each result also has a backstop timer should the helper stop answering. */
export class HelperLauncher implements Launcher {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private input: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly events: HelperEvents = {},
  ) {}

  /** start starts the helper and resolves once it has said hello (or rejects when it cannot start). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = spawn(this.file, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    let hello: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      hello = resolve;
      fail = reject;
    });
    // a rejected start is seen by whoever awaits start(); a launch that triggered it gets a not-started result
    ready.catch(() => undefined);
    this.ready = ready;
    // a helper that never says hello (stuck in exec on a loaded machine, a wrong binary) is killed: lvsd then forks
    // scripts itself rather than wait forever before its first apply
    const helloMs = this.events.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    const helloTimer = setTimeout(() => {
      fail?.(new Error(`${this.file} did not say hello within ${helloMs} ms`));
      child.kill('SIGKILL');
    }, helloMs);
    ready.then(
      () => clearTimeout(helloTimer),
      () => clearTimeout(helloTimer),
    );
    child.stdout?.on('data', (chunk: Buffer) =>
      this.onData(chunk, () => {
        // once running, the helper never keeps lvsd alive (an error after start need not close it): it exits when
        // its input closes; until its hello, the wait for it must keep the process up
        child.unref();
        for (const s of [child.stdin, child.stdout] as unknown as ({ unref?: () => void } | null)[]) s?.unref?.();
        hello?.();
      }),
    );
    child.stdin?.on('error', () => undefined);
    child.once('error', (err) => {
      const reason = `cannot start ${this.file}: ${errText(err)}`;
      fail?.(new Error(reason));
      this.lost(child, reason);
    });
    child.once('exit', (code, signal) => {
      fail?.(new Error(`${this.file} exited (${signal ?? `code ${code}`}) before it was ready`));
      this.lost(child, `the spawn helper exited (${signal ?? `code ${code}`}) while the script ran`);
    });
    if (child.pid !== undefined) this.events.started?.(child.pid);
    return ready;
  }

  /** launch sends one run request; the result comes when the helper reports the script's end. */
  launch(req: LaunchRequest): Launch {
    const argv0 = req.argv[0] ?? '';
    if (this.closed) return { result: Promise.resolve(notStarted('lvsd is stopping: scripts are not started')), kill: () => undefined };
    if (!argv0) return { result: Promise.resolve(notStarted('empty script command')), kill: () => undefined };
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
    const result = new Promise<LaunchResult>((resolve) => {
      // the helper kills on timeout itself; this only answers should the helper hang
      const backstop = setTimeout(() => this.settle(id, notStarted(`the spawn helper did not report ${argv0} within ${req.timeoutMs + 5000} ms`)), req.timeoutMs + 5000);
      this.pending.set(id, { resolve, argv0, backstop });
    });
    const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
    this.send({ type: 'run', id, timeoutMs: req.timeoutMs, maxOutput: req.maxOutputBytes, as: req.as, argv: req.argv, env }, id);
    return { result, kill: () => this.send({ type: 'kill', id }) };
  }

  /** killAll kills every script the helper runs (their results say they were killed). */
  killAll(): void {
    if (this.child && !this.closed) this.send({ type: 'kill-all' });
  }

  /** close ends the helper: it kills what still runs and exits; pending results say so. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private send(req: SpawnRequest, id?: number): void {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
      // started lazily (or again after the helper died): requests wait in the pipe until it reads them
      this.ready = undefined;
      void this.start().catch((err: Error) => {
        if (id !== undefined) this.settle(id, notStarted(err.message));
      });
    }
    this.child?.stdin?.write(encodeSpawnRequest(req));
  }

  private onData(chunk: Buffer, hello: () => void): void {
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const len = frameLength(this.input, at);
      if (len === undefined || at + len > this.input.length) break;
      const res = decodeSpawnResponse(this.input, at);
      at += len;
      if (res.kind === 'hello') {
        if (res.value !== SPAWN_PROTOCOL) this.child?.kill('SIGKILL');
        else hello();
        continue;
      }
      const p = this.pending.get(res.id);
      if (p) this.settle(res.id, toLaunchResult({ ...res, stdout: Buffer.from(res.stdout), stderr: Buffer.from(res.stderr) }, p.argv0));
    }
    this.input = at < this.input.length ? Buffer.from(this.input.subarray(at)) : Buffer.alloc(0);
  }

  private settle(id: number, r: LaunchResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.backstop);
    p.resolve(r);
  }

  private lost(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = undefined;
    this.input = Buffer.alloc(0);
    const lost = this.pending.size;
    for (const id of [...this.pending.keys()]) this.settle(id, notStarted(reason));
    if (!this.closed) this.events.exited?.(reason, lost);
  }
}

/** openSpawnHelper finds lvsd-spawn (built by `npm install` into native/build/Release) and starts it; undefined when it was not built. */
export async function openSpawnHelper(events: HelperEvents = {}): Promise<HelperLauncher | undefined> {
  const file = findNativeBuild(SPAWN_HELPER_FILE);
  if (!file) return undefined;
  const helper = new HelperLauncher(file, events);
  await helper.start();
  return helper;
}
