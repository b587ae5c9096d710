// Lab layer: boots the user-mode Linux guest over the machine's own filesystem and talks to it over serial lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LabError, type LabErrorCode } from './errors.js';
import { FAIL_MARKER } from './scripts.js';

/** SETUP_HINT is the advice given whenever something the lab needs is not installed. */
export const SETUP_HINT = 'run `npm run setup` (installs user-mode-linux, ipvsadm, nginx-light, … and node modules)';

/** DEFAULT_MODULES_DIR is where Debian's user-mode-linux package installs the guest kernel's modules. */
export const DEFAULT_MODULES_DIR = '/usr/lib/uml/modules';

const CONSOLE_LIMIT = 4 * 1024 * 1024;

/** findCheckout returns the project's checkout folder: the nearest parent of this module holding lvsd's package.json. */
export function findCheckout(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let d = from; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lvsd') return d;
    if (dirname(d) === d) throw new Error(`no lvsd checkout above ${from}`);
  }
}

/** findExecutable returns the first executable called name on PATH (or in extra folders), or null. */
export function findExecutable(name: string, extra: readonly string[] = ['/usr/sbin', '/sbin']): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra].filter((d) => d !== '');
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      /* next */
    }
  }
  return null;
}

/** findUml returns the user-mode Linux kernel: an explicit path, $LVSD_LAB_UML, or linux.uml on PATH; else LAB_NO_UML. */
export function findUml(explicit?: string): string {
  const path = explicit ?? process.env.LVSD_LAB_UML ?? findExecutable('linux.uml');
  if (path === null || !existsSync(path)) throw new LabError('LAB_NO_UML', `the user-mode Linux kernel (linux.uml) is not installed: ${SETUP_HINT}`);
  return path;
}

/** checkTools throws LAB_MISSING_TOOL naming every host tool of the list that is missing (the guest runs them from the host filesystem). */
export function checkTools(tools: readonly string[]): void {
  const missing = tools.filter((t) => findExecutable(t) === null);
  if (missing.length > 0) throw new LabError('LAB_MISSING_TOOL', `missing on this machine (needed inside the guest): ${missing.join(', ')}: ${SETUP_HINT}`);
}

/** checkModulesDir throws LAB_NO_IPVS when the folder of guest kernel modules does not exist. */
export function checkModulesDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LabError('LAB_NO_IPVS', `no guest kernel modules folder ${dir}: ${SETUP_HINT}`);
}

/** BootOptions are how to start a guest. */
export interface BootOptions {
  readonly umlPath: string;
  readonly initPath: string;
  readonly runDir: string;
  /** serial lines ttyS0…ttyS(n-1), one per agent; each must answer `ready …` */
  readonly lines: number;
  readonly memMb: number;
  readonly timeoutMs: number;
}

/** GuestExit is how the guest's process ended. */
export interface GuestExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(p: ChildProcess): void {
  if (p.pid === undefined) return;
  try {
    process.kill(-p.pid, 'SIGKILL'); // linux.uml runs one host process per guest process: kill the whole group
  } catch {
    /* already gone */
  }
}

/** Guest is a running user-mode Linux guest: its console and one line-oriented channel per serial line. */
export class Guest {
  private consoleText = '';
  private consoleDropped = 0;
  private readonly log: WriteStream;
  private readonly handlers: (((line: string) => void) | undefined)[] = [];
  private exitInfo: GuestExit | null = null;
  /** exited resolves when the guest's process has ended and its console is drained. */
  readonly exited: Promise<GuestExit>;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly lines: Socket[],
    runDir: string,
  ) {
    this.log = createWriteStream(join(runDir, 'console.log'));
    for (const out of [proc.stdout, proc.stderr]) {
      out?.setEncoding('utf8');
      out?.on('data', (d: string) => this.appendConsole(d));
    }
    lines.forEach((s, i) => {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        for (let n = buf.indexOf('\n'); n >= 0; n = buf.indexOf('\n')) {
          const line = buf.slice(0, n).replace(/\r$/, '');
          buf = buf.slice(n + 1);
          this.handlers[i]?.(line);
        }
      });
      s.on('error', () => {
        /* the guest went away; `exited` reports it */
      });
    });
    this.exited = new Promise((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        live.delete(proc);
        this.log.end();
        resolve(this.exitInfo ?? { code: proc.exitCode, signal: proc.signalCode });
      };
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        killGroup(proc); // leftover helper processes of the guest kernel
        setTimeout(done, 300).unref(); // console pipes normally close at once
      });
      proc.on('close', done);
      proc.on('error', (err) => {
        this.appendConsole(`[lab] cannot start ${proc.spawnfile}: ${err.message}\n`);
        this.exitInfo = { code: null, signal: null };
        done();
      });
    });
  }

  /** boot starts linux.uml and resolves once every serial line said `ready`; it throws LabError (and kills the guest) otherwise. */
  static async boot(o: BootOptions): Promise<Guest> {
    const args = [
      `mem=${o.memMb}M`,
      'quiet',
      'root=/dev/root',
      'rootfstype=hostfs',
      'rootflags=/',
      'rw',
      `init=${o.initPath}`,
      'con=null',
      'con0=null,fd:1',
      'ssl=null',
      ...Array.from({ length: o.lines }, (_, i) => `ssl${i}=fd:${3 + i}`),
      `uml_dir=${join(o.runDir, 'uml')}`,
      'umid=lab',
    ];
    // no core dump when the guest kernel panics (it aborts)
    const proc = spawn('/bin/sh', ['-c', 'ulimit -c 0 2>/dev/null; exec "$0" "$@"', o.umlPath, ...args], {
      cwd: o.runDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', ...Array.from({ length: o.lines }, () => 'pipe' as const)],
    });
    live.add(proc);
    installExitHook();
    const lines = Array.from({ length: o.lines }, (_, i) => proc.stdio[3 + i] as Socket);
    const guest = new Guest(proc, lines, o.runDir);
    await guest.waitReady(o.timeoutMs, o.runDir);
    return guest;
  }

  private async waitReady(timeoutMs: number, runDir: string): Promise<void> {
    let pending = this.lines.length;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => {
      this.lines.forEach((_, i) => {
        this.handlers[i] = (line) => {
          if (!line.startsWith('ready')) return;
          this.handlers[i] = undefined;
          if (--pending === 0) resolve();
        };
      });
    });
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const r = await Promise.race([ready.then(() => 'ready' as const), this.exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (r === 'ready') return;
    if (r === 'timeout') {
      this.kill();
      await this.exited;
      throw new LabError('LAB_TIMEOUT', `the guest was not ready within ${timeoutMs} ms (${pending} of ${this.lines.length} agents missing)`, this.console(), runDir);
    }
    throw this.failure(runDir, 'LAB_BOOT_FAILED', 'the guest exited before it was ready');
  }

  /** failure is the LabError for a guest that ended: the code its init reported on the console, else the given one. */
  failure(runDir: string, code: LabErrorCode, what: string): LabError {
    const text = this.console();
    const m = new RegExp(`^${FAIL_MARKER} (LAB_[A-Z_]+) (.*)$`, 'm').exec(text);
    const e = this.exitInfo;
    const how = e === null ? '' : e.signal ? ` (guest killed by ${e.signal})` : ` (guest exit status ${e.code})`;
    if (m) return new LabError(m[1] as LabErrorCode, m[2] as string, text, runDir);
    return new LabError(code, `${what}${how}`, text, runDir);
  }

  /** onLine sets the handler of the lines the agent on serial line n sends. */
  onLine(n: number, handler: (line: string) => void): void {
    this.handlers[n] = handler;
  }

  /** send writes one line to the agent on serial line n. */
  send(n: number, line: string): void {
    const s = this.lines[n];
    if (s && !s.destroyed && this.running) s.write(`${line}\n`);
  }

  /** running tells whether the guest's process is still alive. */
  get running(): boolean {
    return this.exitInfo === null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** console returns the guest's console output so far (kernel messages, init's trace, agents' errors). */
  console(): string {
    return this.consoleDropped > 0 ? `[lab] ${this.consoleDropped} earlier console characters dropped\n${this.consoleText}` : this.consoleText;
  }

  /** kill ends the guest and every host process it started at once. */
  kill(): void {
    killGroup(this.proc);
  }

  private appendConsole(s: string): void {
    this.log.write(s);
    this.consoleText += s;
    if (this.consoleText.length > CONSOLE_LIMIT) {
      const cut = this.consoleText.length - CONSOLE_LIMIT / 2;
      this.consoleDropped += cut;
      this.consoleText = this.consoleText.slice(cut);
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // never leave a guest behind when the test runner exits
  process.once('exit', () => {
    for (const p of live) killGroup(p);
  });
}
