// Health layer (I/O edge): runs notify scripts as their user, with a timeout and captured output, never blocking the caller; failures are values.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Script } from '../config/model.js';

/** UserRecord is one passwd entry lvsd needs: name, uid and primary gid. */
export interface UserRecord {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** UserDb looks users and groups up by name (getpwnam/getgrnam). */
export interface UserDb {
  user(name: string): UserRecord | undefined;
  group(name: string): number | undefined;
}

/** parsePasswd reads /etc/passwd text into user records by name. */
export function parsePasswd(text: string): Map<string, UserRecord> {
  const out = new Map<string, UserRecord>();
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (!name || line.startsWith('#') || uid === undefined || gid === undefined) continue;
    const u = Number(uid);
    const g = Number(gid);
    if (Number.isInteger(u) && Number.isInteger(g) && !out.has(name)) out.set(name, { name, uid: u, gid: g });
  }
  return out;
}

/** parseGroup reads /etc/group text into gids by name. */
export function parseGroup(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (!name || line.startsWith('#') || gid === undefined) continue;
    const g = Number(gid);
    if (Number.isInteger(g) && !out.has(name)) out.set(name, g);
  }
  return out;
}

/** systemUserDb reads the passwd and group files at each lookup (scripts are rare; edits are seen at once). */
export function systemUserDb(passwdFile = '/etc/passwd', groupFile = '/etc/group'): UserDb {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return { user: (name) => parsePasswd(read(passwdFile)).get(name), group: (name) => parseGroup(read(groupFile)).get(name) };
}

/** ScriptDefaults is global_defs' script_user: the user and group scripts run as when their line names none. */
export interface ScriptDefaults {
  readonly user?: string | undefined;
  readonly group?: string | undefined;
}

/** Identity is who a script runs as; `switch` is false when that is lvsd's own user. */
export interface Identity {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly switch: boolean;
}

/** IdentityResult is the resolved identity or why there is none. */
export type IdentityResult = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly error: string };

/** DEFAULT_SCRIPT_USER is keepalived's user for scripts when none is configured (root if it does not exist). */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

/** resolveIdentity picks a script's user and group as keepalived does: the script's own, else script_user, else keepalived_script, else lvsd's user. */
export function resolveIdentity(script: Script, defaults: ScriptDefaults | undefined, db: UserDb, self: { uid: number; gid: number }): IdentityResult {
  const configured = script.user ?? defaults?.user;
  const name = configured ?? (self.uid === 0 && db.user(DEFAULT_SCRIPT_USER) ? DEFAULT_SCRIPT_USER : undefined);
  if (name === undefined) return { ok: true, identity: { user: String(self.uid), uid: self.uid, gid: self.gid, switch: false } };
  const rec = db.user(name);
  if (!rec) return { ok: false, error: `script user '${name}' does not exist` };
  const groupName = script.user ? script.group : (script.group ?? defaults?.group);
  let gid = rec.gid;
  if (groupName !== undefined) {
    const g = db.group(groupName);
    if (g === undefined) return { ok: false, error: `script group '${groupName}' does not exist` };
    gid = g;
  }
  const same = rec.uid === self.uid && gid === self.gid;
  if (!same && self.uid !== 0) return { ok: false, error: `cannot run scripts as user '${name}': lvsd is not running as root` };
  return { ok: true, identity: { user: name, uid: rec.uid, gid, switch: !same } };
}

/** ScriptResult is how a script ended: exit code or signal, whether it was killed on timeout, its output, or why it never ran. */
export interface ScriptResult {
  readonly argv: readonly string[];
  readonly user?: string | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** set when the script could not be started (no such user, not root, no such file) */
  readonly error?: string | undefined;
}

/** ScriptRunnerOptions are the runner's limits and its user database. */
export interface ScriptRunnerOptions {
  /** kill the script (and its process group) after this long; default 10 s */
  readonly timeoutMs?: number | undefined;
  /** scripts running at once; later ones wait (default 16) */
  readonly maxConcurrent?: number | undefined;
  /** output kept per stream (default 16 KiB) */
  readonly maxOutputBytes?: number | undefined;
  readonly db?: UserDb | undefined;
  readonly defaults?: ScriptDefaults | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly self?: { readonly uid: number; readonly gid: number } | undefined;
}

/** ScriptRunnerLike is what the health monitor needs of a script runner (tests inject fakes). */
export interface ScriptRunnerLike {
  run(script: Script, timeoutMs?: number): Promise<ScriptResult>;
  setDefaults(defaults: ScriptDefaults | undefined): void;
  idle(timeoutMs: number): Promise<boolean>;
  killAll(): void;
}

interface Job {
  readonly script: Script;
  readonly timeoutMs: number;
  readonly resolve: (r: ScriptResult) => void;
}

/** ScriptRunner runs scripts asynchronously: each run resolves (never rejects) to a ScriptResult. */
export class ScriptRunner implements ScriptRunnerLike {
  private readonly queue: Job[] = [];
  private readonly children = new Set<ChildProcess>();
  private active = 0;
  private defaults: ScriptDefaults | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ScriptRunnerOptions = {}) {
    this.defaults = opts.defaults;
  }

  /** setDefaults changes the script_user (on reload). */
  setDefaults(defaults: ScriptDefaults | undefined): void {
    this.defaults = defaults;
  }

  /** running is how many scripts run or wait now. */
  get running(): number {
    return this.active + this.queue.length;
  }

  /** run starts (or queues) `script`; the promise resolves when it ends, is killed, or cannot start. */
  run(script: Script, timeoutMs = this.opts.timeoutMs ?? 10_000): Promise<ScriptResult> {
    return new Promise((resolve) => {
      this.queue.push({ script, timeoutMs, resolve });
      this.pump();
    });
  }

  /** idle resolves true once no script runs or waits, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** killAll kills every running script's process group and drops the queue (their results say so). */
  killAll(): void {
    for (const job of this.queue.splice(0)) job.resolve(notRun(job.script, 'not run: lvsd is stopping'));
    for (const child of this.children) killGroup(child);
  }

  private pump(): void {
    while (this.active < (this.opts.maxConcurrent ?? 16) && this.queue.length) {
      const job = this.queue.shift() as Job;
      this.active++;
      void this.exec(job).then((r) => {
        this.active--;
        job.resolve(r);
        this.pump();
        if (!this.running) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private exec(job: Job): Promise<ScriptResult> {
    const { script } = job;
    const self = this.opts.self ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const id = resolveIdentity(script, this.defaults, this.opts.db ?? systemUserDb(), self);
    if (!id.ok) return Promise.resolve(notRun(script, id.error));
    const [file, ...args] = script.argv;
    if (!file) return Promise.resolve(notRun(script, 'empty script command', id.identity.user));
    const t0 = performance.now();
    const limit = this.opts.maxOutputBytes ?? 16_384;
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(file, args, {
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true, // its own process group, so a timeout kills the script's children too
          env: this.opts.env ?? { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
          ...(id.identity.switch ? { uid: id.identity.uid, gid: id.identity.gid } : {}),
        });
      } catch (err) {
        resolve(notRun(script, errText(err), id.identity.user));
        return;
      }
      this.children.add(child);
      const out = capture(child.stdout, limit);
      const err = capture(child.stderr, limit);
      let timedOut = false;
      let spawnError: string | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, job.timeoutMs);
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.children.delete(child);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ argv: script.argv, user: id.identity.user, code, signal, timedOut, durationMs: performance.now() - t0, stdout: out(), stderr: err(), ...(spawnError ? { error: spawnError } : {}) });
      };
      child.once('error', (e) => {
        spawnError = errText(e);
        done(null, null);
      });
      child.once('close', (code, signal) => done(code, signal));
      // a grandchild that left the process group may hold the pipes open: do not wait for them long
      child.once('exit', (code, signal) => setTimeout(() => done(code, signal), 200).unref());
    });
  }
}

function notRun(script: Script, error: string, user?: string): ScriptResult {
  return { argv: script.argv, user: user ?? script.user, code: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', error };
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
  return () => Buffer.concat(chunks).toString('utf8') + (truncated ? '\n[output truncated]' : '');
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(err);
}
