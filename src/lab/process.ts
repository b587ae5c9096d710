// Lab layer: commands running in the guest, seen from the test runner: exit status and output files in the run folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './errors.js';

/** ExecResult is a finished command: exit status (128+signal when killed, -1 when the guest went away) and its output. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Signal is a signal a background command's process group can be sent. */
export type Signal = 'TERM' | 'INT' | 'HUP' | 'USR1' | 'USR2' | 'KILL';

/** StopOptions tune how a background process is stopped. */
export interface StopOptions {
  readonly signal?: Signal;
  /** after this many ms the process group gets SIGKILL (default 5000) */
  readonly graceMs?: number;
}

/** OutputWait tunes LabProcess.waitForOutput. */
export interface OutputWait {
  /** default 10 000 */
  readonly timeoutMs?: number;
  /** which output to search (default both) */
  readonly stream?: 'stdout' | 'stderr' | 'both';
}

/** KILL_WAIT_MS is how long a command may take to be reported gone after SIGKILL. */
export const KILL_WAIT_MS = 10_000;

/** within resolves with the promise's value, or undefined once ms have passed. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** readOutput reads the output files of command id in a run folder (empty until the command writes). */
export function readOutput(runDir: string, id: string): { stdout: string; stderr: string } {
  const read = (ext: string): string => {
    try {
      return readFileSync(join(runDir, 'cmd', `${id}.${ext}`), 'utf8');
    } catch {
      return '';
    }
  };
  return { stdout: read('out'), stderr: read('err') };
}

/** LabProcess is a command running in the background in the guest; its output files grow as it runs. */
export class LabProcess {
  private code: number | null = null;
  /** finished resolves with the exit status once the command ends. */
  readonly finished: Promise<number>;

  constructor(
    /** id is the command's id; its files are cmd/<id>.sh, .out and .err in the run folder */
    readonly id: string,
    /** host is the namespace it runs in (null: the guest's root namespace) */
    readonly host: string | null,
    private readonly runDir: string,
    finished: Promise<number>,
    private readonly sendSignal: (sig: Signal) => void,
  ) {
    this.finished = finished.then((c) => (this.code = c));
  }

  /** running tells whether the command has not finished yet. */
  get running(): boolean {
    return this.code === null;
  }

  /** output returns what the command has written so far. */
  output(): { stdout: string; stderr: string } {
    return readOutput(this.runDir, this.id);
  }

  /** waitForOutput polls the output (on this side, no guest work) until it matches; LAB_WAIT_TIMEOUT otherwise. */
  async waitForOutput(pattern: RegExp, o: OutputWait = {}): Promise<RegExpMatchArray> {
    const deadline = Date.now() + (o.timeoutMs ?? 10_000);
    for (;;) {
      const ended = !this.running; // the output is complete when the command had ended before this read
      const out = this.output();
      const m = pattern.exec(o.stream === 'stdout' ? out.stdout : o.stream === 'stderr' ? out.stderr : `${out.stdout}\n${out.stderr}`);
      if (m) return m;
      if (ended || Date.now() >= deadline) {
        const why = ended ? `ended (exit ${this.code}) before its output matched` : `never matched within ${o.timeoutMs ?? 10_000} ms:`;
        throw new LabError('LAB_WAIT_TIMEOUT', `${this.id} on ${this.where} ${why} ${pattern}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** wait resolves with the result once the command ends; LAB_WAIT_TIMEOUT (the command keeps running) after timeoutMs. */
  async wait(timeoutMs = 30_000): Promise<ExecResult> {
    const code = await within(this.finished, timeoutMs);
    if (code === undefined) throw new LabError('LAB_WAIT_TIMEOUT', `background command ${this.id} on ${this.where} still runs after ${timeoutMs} ms`);
    return { code, ...this.output() };
  }

  /** signal sends a signal to the command's whole process group. */
  signal(sig: Signal): void {
    if (this.running) this.sendSignal(sig);
  }

  /** stop signals the command's process group (TERM by default), then KILLs it after graceMs; resolves with its result. */
  async stop(o: StopOptions = {}): Promise<ExecResult> {
    if (this.running) {
      this.sendSignal(o.signal ?? 'TERM');
      if ((await within(this.finished, o.graceMs ?? 5000)) === undefined) this.sendSignal('KILL');
    }
    const code = await within(this.finished, KILL_WAIT_MS);
    if (code === undefined) throw new LabError('LAB_EXEC_TIMEOUT', `${this.id} on ${this.where} did not end ${KILL_WAIT_MS} ms after SIGKILL (is the guest's agent alive?)`);
    return { code, ...this.output() };
  }

  private get where(): string {
    return this.host ?? 'the root namespace';
  }
}
