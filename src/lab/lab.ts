// Lab layer: an interactive session with a booted guest: namespaces on one bridge, nginx real servers, commands per host.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { LabError } from './errors.js';
import { checkModulesDir, checkTools, DEFAULT_MODULES_DIR, findCheckout, findUml, Guest } from './guest.js';
import { nginxConfig, nginxStartCommand, nginxStopCommand } from './nginx.js';
import { KILL_WAIT_MS, LabProcess, within, type ExecResult } from './process.js';
import { agentScript, BASE_MODULES, initScript, topologyScript } from './scripts.js';
import { findHost, parseTopology, shellQuote, topologyCommands, type LabHost, type Topology, type TopologyInput } from './topology.js';

export { LabProcess, type ExecResult, type Signal, type StopOptions, type OutputWait } from './process.js';

/** LabOptions tune a lab; every field is optional. */
export interface LabOptions {
  /** boot + topology + nginx must be ready within this many ms (default 90 000) */
  readonly timeoutMs?: number;
  /** guest memory in MiB (default 1024; the host only backs pages the guest uses) */
  readonly memMb?: number;
  /** kernel modules loaded at boot besides ip_vs, veth and bridge (IPVS schedulers load on demand) */
  readonly modules?: readonly string[];
  /** shell lines the guest's init runs after loading modules and before building the topology */
  readonly bootScript?: string;
  /** folder of guest kernel modules, one subfolder per kernel version (default /usr/lib/uml/modules or $LVSD_LAB_MODULES) */
  readonly modulesDir?: string;
  /** the user-mode Linux kernel (default $LVSD_LAB_UML or linux.uml on PATH) */
  readonly umlPath?: string;
  /** keep the run folder after a clean stop (default: only when $LVSD_LAB_KEEP is set, or after a failure) */
  readonly keep?: boolean;
}

/** ExecOptions tune one command. */
export interface ExecOptions {
  /** kill the command (its whole process group) and throw LAB_EXEC_TIMEOUT after this many ms (default 30 000) */
  readonly timeoutMs?: number;
  /** throw LAB_EXEC_FAILED when the command exits non-zero */
  readonly check?: boolean;
}

/** LabTimings are the measured phases of startLab, in ms. */
export interface LabTimings {
  readonly bootMs: number;
  readonly nginxMs: number;
  readonly totalMs: number;
}

interface Pending {
  readonly resolve: (code: number) => void;
}

/** Lab is a booted guest with its topology built: run commands on its hosts, then stop() it. */
export class Lab {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private stopped = false;
  private failed = false;
  /** timings are the measured phases of this lab's start. */
  timings: LabTimings = { bootMs: 0, nginxMs: 0, totalMs: 0 };

  constructor(
    private readonly guest: Guest,
    /** topology is the parsed description the lab was built from */
    readonly topology: Topology,
    /** dir is the run folder, shared with the guest at the same path */
    readonly dir: string,
    /** checkoutDir is the project checkout, the working directory of every command */
    readonly checkoutDir: string,
    private readonly keep: boolean,
  ) {
    // serial line 0 is the root namespace's agent, line n the agent of host n-1
    for (let n = 0; n <= topology.hosts.length; n++) guest.onLine(n, (line) => this.onAgentLine(line));
    void guest.exited.then(() => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.resolve(-1);
      }
    });
  }

  /** host returns a host of the topology with its derived names (e.g. link, the veth end on the bridge); LAB_UNKNOWN_HOST otherwise. */
  host(name: string): LabHost {
    return findHost(this.topology, name);
  }

  /** exec runs a shell command (bash) on a host (null: the guest's root namespace, where the bridge is) and returns its result. */
  async exec(host: string | null, command: string, o: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = o.timeoutMs ?? 30_000;
    const p = this.spawn(host, command);
    const code = await within(p.finished, timeoutMs);
    const where = host ?? 'the root namespace';
    if (code === undefined) {
      p.signal('KILL');
      await within(p.finished, KILL_WAIT_MS);
      const out = p.output();
      throw new LabError('LAB_EXEC_TIMEOUT', `command on ${where} did not finish within ${timeoutMs} ms and was killed: ${command}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`, this.guest.console(), this.dir);
    }
    this.assertAlive(`command on ${where}: ${command}`);
    const r = { code, ...p.output() };
    if (o.check && code !== 0) throw new LabError('LAB_EXEC_FAILED', `command on ${where} exited ${code}: ${command}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  /** spawn starts a shell command in the background on a host and returns at once. */
  spawn(host: string | null, command: string): LabProcess {
    this.assertUsable();
    const n = host === null ? 0 : this.topology.hosts.indexOf(findHost(this.topology, host)) + 1;
    const id = `c${++this.seq}`;
    writeFileSync(join(this.dir, 'cmd', `${id}.sh`), `${command}\n`);
    const finished = new Promise<number>((resolve) => this.pending.set(id, { resolve }));
    this.guest.send(n, `run ${id}`);
    return new LabProcess(id, host, this.dir, finished, (sig) => this.guest.send(n, `kill ${id} ${sig}`));
  }

  /** waitFor reruns a command until it exits 0 and returns that result; LAB_WAIT_TIMEOUT with the last result otherwise. */
  async waitFor(host: string | null, command: string, o: { timeoutMs?: number; intervalMs?: number } = {}): Promise<ExecResult> {
    const deadline = Date.now() + (o.timeoutMs ?? 15_000);
    for (;;) {
      // an attempt that outlives the wait (a guest stalled by its host) is a failed attempt, not a broken lab: it gets
      // at least 5 s, and its kill is reported as the wait's timeout with what it printed
      const r = await this.exec(host, command, { timeoutMs: Math.max(5000, deadline - Date.now()) }).catch((err: unknown) => {
        if (!(err instanceof LabError) || err.code !== 'LAB_EXEC_TIMEOUT') throw err;
        return { code: -1, stdout: '', stderr: `(attempt killed: ${err.message.split('\n')[0]})` };
      });
      if (r.code === 0) return r;
      if (Date.now() >= deadline) throw new LabError('LAB_WAIT_TIMEOUT', `never true on ${host ?? 'the root namespace'} within ${o.timeoutMs ?? 15_000} ms: ${command}\nlast exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, o.intervalMs ?? 200));
    }
  }

  /**
   * writeFile writes a file the guest can read and returns its path: a relative path lands in the run folder
   * (written directly; the guest sees the same path); an absolute path must be in the run folder or the
   * guest-private /tmp or /run (copied in by the guest). Nothing else is writable: the guest's root is the machine's.
   */
  async writeFile(path: string, content: string | Uint8Array): Promise<string> {
    this.assertUsable();
    const target = this.resolvePath(path);
    if (target.inRun) {
      mkdirSync(dirname(target.path), { recursive: true });
      writeFileSync(target.path, content);
      return target.path;
    }
    const staged = join(this.dir, 'files', `f${++this.seq}`);
    mkdirSync(dirname(staged), { recursive: true });
    writeFileSync(staged, content);
    await this.exec(null, `mkdir -p ${shellQuote(dirname(target.path))} && cp ${shellQuote(staged)} ${shellQuote(target.path)}`, { check: true });
    return target.path;
  }

  /** readFile reads a file of the run folder (relative path) or of the guest's /tmp or /run. */
  async readFile(path: string): Promise<string> {
    const target = this.resolvePath(path);
    if (target.inRun) return readFileSync(target.path, 'utf8');
    return (await this.exec(null, `cat ${shellQuote(target.path)}`, { check: true })).stdout;
  }

  /** startNginx starts nginx on a host with the site of its topology entry; LAB_NGINX_FAILED with nginx's error log otherwise. */
  async startNginx(host: string, o: ExecOptions = {}): Promise<void> {
    const h = findHost(this.topology, host);
    if (h.nginx === null) throw new LabError('LAB_NGINX_FAILED', `host ${host} has no nginx site in the topology`);
    const conf = await this.writeFile(join('nginx', `${host}.conf`), nginxConfig(host, h.nginx));
    const r = await this.exec(host, nginxStartCommand(host, conf), o);
    if (r.code !== 0) throw new LabError('LAB_NGINX_FAILED', `nginx did not start on ${host} (exit ${r.code}):\n${r.stderr}${r.stdout}`, this.guest.console(), this.dir);
  }

  /** stopNginx stops nginx on a host and waits until its master process is gone. */
  async stopNginx(host: string, o: ExecOptions = {}): Promise<void> {
    findHost(this.topology, host);
    await this.exec(host, nginxStopCommand(host), { ...o, check: true });
  }

  /** console returns the guest's console so far. */
  console(): string {
    return this.guest.console();
  }

  /** stop powers the guest off (killing it if it does not go within 10 s), removes the run folder unless kept, and returns the console. */
  async stop(): Promise<string> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.guest.running) {
        this.guest.send(0, 'quit');
        if ((await within(this.guest.exited, 10_000)) === undefined) this.guest.kill();
      }
      await this.guest.exited;
      if (!this.keep && !this.failed) rmSync(this.dir, { recursive: true, force: true });
    }
    return this.guest.console();
  }

  /** kill ends the guest at once (no clean poweroff) and keeps the run folder. */
  async kill(): Promise<string> {
    this.failed = true;
    this.stopped = true;
    this.guest.kill();
    await this.guest.exited;
    return this.guest.console();
  }

  private onAgentLine(line: string): void {
    const m = /^done (\S+) (-?\d+)$/.exec(line);
    if (!m) return;
    const p = this.pending.get(m[1] as string);
    this.pending.delete(m[1] as string);
    p?.resolve(Number(m[2]));
  }

  private resolvePath(path: string): { path: string; inRun: boolean } {
    const abs = normalize(isAbsolute(path) ? path : join(this.dir, path));
    const rel = relative(this.dir, abs);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return { path: abs, inRun: true };
    if (/^\/(tmp|run)\/./.test(abs)) return { path: abs, inRun: false };
    throw new LabError('LAB_BAD_PATH', `${path}: only the run folder, /tmp and /run are the guest's to write (its root filesystem is this machine's)`);
  }

  private assertUsable(): void {
    if (this.stopped) throw new LabError('LAB_STOPPED', 'the lab was stopped');
    this.assertAlive('the lab');
  }

  private assertAlive(what: string): void {
    if (!this.guest.running) {
      this.failed = true;
      throw this.guest.failure(this.dir, 'LAB_GUEST_EXITED', `the guest has gone (${what})`);
    }
  }
}

/**
 * startLab boots a guest, builds the topology, starts nginx on its hosts and returns the ready lab (LabError otherwise).
 *
 *   const lab = await startLab({ hosts: [{ name: 'client', role: 'client', addresses: ['192.168.56.10/24'] },
 *                                        { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24'] }] });
 *   const r = await lab.exec('client', 'curl -s http://192.168.56.101/');   // { code: 0, stdout: 'rs1\n', stderr: '' }
 *   const p = lab.spawn('rs1', 'tcpdump -l -n -i eth0'); await p.waitForOutput(/listening/); await p.stop();
 *   await lab.stop();                                                          // clean poweroff; returns the console
 *
 * Commands run as root in bash inside the host's network namespace, with the checkout as working directory
 * (`node bin/lvsd …` works; run `npm run build` first). The guest's root filesystem is this machine's: write
 * only under /tmp, /run (guest-private tmpfs) or the run folder `lab.dir`.
 */
export async function startLab(description: TopologyInput, options: LabOptions = {}): Promise<Lab> {
  const t0 = Date.now();
  const timeoutMs = options.timeoutMs ?? 90_000;
  const topology = parseTopology(description);
  const umlPath = findUml(options.umlPath);
  const modulesDir = options.modulesDir ?? process.env.LVSD_LAB_MODULES ?? DEFAULT_MODULES_DIR;
  checkModulesDir(modulesDir);
  const needsNginx = topology.hosts.some((h) => h.nginx !== null);
  const needsSysctl = topology.hosts.some((h) => Object.keys(h.sysctls).length > 0);
  checkTools(['bash', 'ip', 'modprobe', 'stty', ...(needsNginx ? ['nginx'] : []), ...(needsSysctl ? ['sysctl'] : [])]);

  const checkoutDir = findCheckout();
  const dir = makeRunDir(checkoutDir);
  const file = (name: string, text: string, mode = 0o644): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };
  mkdirSync(join(dir, 'cmd'));
  const init = file(
    'init.sh',
    initScript({
      runDir: dir,
      checkoutDir,
      modulesDir,
      modules: [...BASE_MODULES, ...(options.modules ?? [])],
      namespaces: topology.hosts.map((h) => h.name),
      topologyScript: file('topology.sh', topologyScript(topologyCommands(topology))),
      agentScript: file('agent.sh', agentScript()),
      ...(options.bootScript !== undefined ? { bootScript: options.bootScript } : {}),
    }),
    0o755,
  );
  const guest = await Guest.boot({ umlPath, initPath: init, runDir: dir, lines: topology.hosts.length + 1, memMb: options.memMb ?? 1024, timeoutMs });
  const keep = options.keep ?? process.env.LVSD_LAB_KEEP !== undefined;
  const lab = new Lab(guest, topology, dir, checkoutDir, keep);
  const tBoot = Date.now();
  try {
    const left = Math.max(1000, timeoutMs - (tBoot - t0));
    await Promise.all(topology.hosts.filter((h) => h.nginx !== null).map((h) => lab.startNginx(h.name, { timeoutMs: left })));
  } catch (err) {
    await lab.kill();
    throw err;
  }
  const tEnd = Date.now();
  lab.timings = { bootMs: tBoot - t0, nginxMs: tEnd - tBoot, totalMs: tEnd - t0 };
  return lab;
}

function makeRunDir(checkoutDir: string): string {
  const base = join(checkoutDir, '.lab', 'runs');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-`));
  // the path goes on the guest kernel's command line and into shell scripts
  if (!/^[\w@%+=:,./-]+$/.test(dir)) throw new LabError('LAB_BAD_PATH', `the run folder ${dir} has characters the guest's command line cannot carry (spaces, quotes, …): move the checkout`);
  return dir;
}
