// Health layer (I/O edge): runs notify scripts as their user through a Launcher, queued, with a timeout and captured output; failures are values.
import { readFileSync } from 'node:fs';
import type { Script } from '../config/model.js';
import { directLauncher, type Launch, type Launcher, type LaunchResult } from './launcher.js';

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

/** systemUserDb reads the passwd and group files at each lookup (the script runner keeps what it found until a reload). */
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

/** ScriptResult is how a script ended (a LaunchResult: code or signal, timeout, output, or why it never ran — also
 * no such user, not root) with the command and the user it ran as. */
export interface ScriptResult extends LaunchResult {
  readonly argv: readonly string[];
  readonly user?: string | undefined;
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
  /** how processes are started: the daemon's spawn helper, else forked from this process */
  readonly launcher?: Launcher | undefined;
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
  private readonly launches = new Set<Launch>();
  private readonly identities = new Map<string, IdentityResult>();
  private readonly launcher: Launcher;
  private active = 0;
  private defaults: ScriptDefaults | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ScriptRunnerOptions = {}) {
    this.defaults = opts.defaults;
    this.launcher = opts.launcher ?? directLauncher();
  }

  /** setDefaults changes the script_user (on reload); users and groups are looked up again from then on. */
  setDefaults(defaults: ScriptDefaults | undefined): void {
    this.defaults = defaults;
    this.identities.clear();
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
    for (const run of this.launches) run.kill();
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
    // resolved once per user/group until the next reload, as keepalived resolves them when it reads its configuration:
    // a check running every second does not read /etc/passwd every second
    const key = `${script.user ?? ''}\0${script.group ?? ''}`;
    let id = this.identities.get(key);
    if (!id) {
      const self = this.opts.self ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      id = resolveIdentity(script, this.defaults, this.opts.db ?? systemUserDb(), self);
      this.identities.set(key, id);
    }
    if (!id.ok) return Promise.resolve(notRun(script, id.error));
    const env = this.opts.env ?? { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    const run = this.launcher.launch({
      argv: script.argv,
      ...(id.identity.switch ? { as: { uid: id.identity.uid, gid: id.identity.gid } } : {}),
      timeoutMs: job.timeoutMs,
      maxOutputBytes: this.opts.maxOutputBytes ?? 16_384,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    this.launches.add(run);
    return run.result.then((r) => {
      this.launches.delete(run);
      return { argv: script.argv, user: id.identity.user, ...r };
    });
  }
}

function notRun(script: Script, error: string, user?: string): ScriptResult {
  return { argv: script.argv, user: user ?? script.user, code: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', error };
}
