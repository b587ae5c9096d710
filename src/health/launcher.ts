// Health layer (I/O edge): how a script process is started — the Launcher interface, and the direct launcher that forks from this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** LaunchRequest is one script run: its command, who it runs as, its time limit, its output limit and environment. */
export interface LaunchRequest {
  readonly argv: readonly string[];
  /** run as this uid/gid (set when the script's user is not lvsd's own) */
  readonly as?: { readonly uid: number; readonly gid: number } | undefined;
  readonly timeoutMs: number;
  /** bytes kept per stream */
  readonly maxOutputBytes: number;
  readonly env: Readonly<Record<string, string>>;
}

/** LaunchResult is how the process ended (code or signal), whether it was killed on timeout, its output, or why it never started. */
export interface LaunchResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** set when the process could not be started */
  readonly error?: string | undefined;
}

/** Launch is a started run: its result (never rejects) and a way to kill its process group. */
export interface Launch {
  readonly result: Promise<LaunchResult>;
  kill(): void;
}

/** Launcher starts script processes in their own process group; a timeout kills the group. */
export interface Launcher {
  launch(req: LaunchRequest): Launch;
}

/** TRUNCATED_MARK is appended to a stream's text when output beyond the limit was dropped. */
export const TRUNCATED_MARK = '\n[output truncated]';

/** notStarted is the result of a run that never started, with the reason. */
export function notStarted(error: string): LaunchResult {
  return { code: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', error };
}

/** directLauncher forks each script from this process: for short-lived commands and tests; the daemon uses the
 * spawn helper (spawn-helper.ts), because forking a large process stalls its event loop for tens to hundreds of ms. */
export function directLauncher(): Launcher {
  return { launch };
}

function launch(req: LaunchRequest): Launch {
  const [file, ...args] = req.argv;
  if (!file) return { result: Promise.resolve(notStarted('empty script command')), kill: () => undefined };
  const t0 = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills the script's children too
      env: { ...req.env },
      ...(req.as ? { uid: req.as.uid, gid: req.as.gid } : {}),
    });
  } catch (err) {
    return { result: Promise.resolve(notStarted(errText(err))), kill: () => undefined };
  }
  const result = new Promise<LaunchResult>((resolve) => {
    const out = capture(child.stdout, req.maxOutputBytes);
    const err = capture(child.stderr, req.maxOutputBytes);
    let timedOut = false;
    let spawnError: string | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, req.timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ code, signal, timedOut, durationMs: performance.now() - t0, stdout: out(), stderr: err(), ...(spawnError ? { error: spawnError } : {}) });
    };
    child.once('error', (e) => {
      spawnError = errText(e);
      done(null, null);
    });
    child.once('close', (code, signal) => done(code, signal));
    // a grandchild that left the process group may hold the pipes open: do not wait for them long
    child.once('exit', (code, signal) => setTimeout(() => done(code, signal), 200).unref());
  });
  return { result, kill: () => killGroup(child) };
}

function capture(stream: NodeJS.ReadableStream | null, limit: number): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  stream?.on('data', (b: Buffer) => {
    const room = limit - size;
    if (b.length > room) truncated = true;
    if (room <= 0) return;
    chunks.push(b.subarray(0, room));
    size += Math.min(b.length, room);
  });
  stream?.on('error', () => undefined);
  return () => Buffer.concat(chunks).toString('utf8') + (truncated ? TRUNCATED_MARK : '');
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** errText is an error's text as Node's spawn errors read: "CODE: message". */
export function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(err);
}
