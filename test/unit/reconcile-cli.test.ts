// Unit tests: `lvsd apply` with an injected configuration and the fake kernel — plan output, dry run, prune, lvs_flush, errors.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runApply, type ApplyDeps } from '../../src/cli/apply.js';
import { registerApply } from '../../src/cli/commands.js';
import { CliError } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/main.js';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { ServiceKey } from '../../src/ipvs/types.js';

const F = '/etc/keepalived/keepalived.conf';
const VS = 'virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.2 80 {\n  weight 2\n }\n real_server 10.0.1.3 80 {\n  uthreshold 50\n }\n}\n';
const FOREIGN: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'udp', address: '192.0.2.50', port: 53 };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

/** world is a fake kernel and the dependencies `lvsd apply` reaches it and the configuration text through. */
function world(text: string, kernel = new FakeIpvsKernel()) {
  let opened = 0;
  const deps: ApplyDeps = {
    load: (path) => parseConfig(path, memoryFs({ [F]: text })),
    openClient: async () => {
      opened++;
      return IpvsClient.open(kernel);
    },
  };
  return { kernel, deps, opened: () => opened };
}

async function failure(p: Promise<unknown>): Promise<CliError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error('expected a CliError');
}

describe('lvsd apply', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--dry-run prints the plan and a summary and leaves the kernel alone', async () => {
    const w = world(VS);
    const c = capture();
    const report = await runApply({ configFile: F, dryRun: true }, c.io, w.deps);
    expect(c.out.join('')).toBe(
      'add-service TCP 10.0.0.1:80 scheduler wlc\n' +
        'add-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 masq weight 2\n' +
        'add-dest TCP 10.0.0.1:80 -> 10.0.1.3:80 masq weight 1 uthreshold 50 lthreshold 0\n' +
        'dry run: 3 operations would be applied (1 add-service, 2 add-dest)\n',
    );
    expect(c.err).toEqual([]);
    expect(report.applied).toBe(false);
    expect(w.kernel.snapshot()).toEqual([]);
  });

  it('applies the plan, and a second apply has nothing to do', async () => {
    const w = world(VS);
    const first = capture();
    await runApply({ configFile: F }, first.io, w.deps);
    expect(first.out.at(-1)).toBe('applied 3 operations (1 add-service, 2 add-dest)\n');
    expect(w.kernel.snapshot()[0]?.dests).toHaveLength(2);
    const second = capture();
    await runApply({ configFile: F }, second.io, w.deps);
    expect(second.out).toEqual(['no changes: IPVS already matches the configuration\n']);
  });

  it('shows what an edit changes', async () => {
    const k = new FakeIpvsKernel();
    await runApply({ configFile: F }, capture().io, world(VS, k).deps);
    const c = capture();
    await runApply({ configFile: F }, c.io, world(VS.replace('weight 2', 'weight 4').replace('protocol TCP', 'protocol TCP\n lb_algo rr'), k).deps);
    expect(c.out).toEqual(['edit-service TCP 10.0.0.1:80 scheduler rr (was wlc)\n', 'edit-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 weight 4 (was 2)\n', 'applied 2 operations (1 edit-service, 1 edit-dest)\n']);
  });

  it('prints config errors like lvsd check and exits 1 without touching the kernel', async () => {
    const w = world('virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.2 80 {\n  weight -3\n }\n}\n');
    const c = capture();
    const e = await failure(runApply({ configFile: F }, c.io, w.deps));
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/configuration is not usable \(1 error\)/);
    expect(c.err.length).toBeGreaterThan(0);
    expect(c.err[0]).toMatch(new RegExp(`^${F}:4:\\d+: error: `));
    expect(w.opened()).toBe(0);
    expect(c.out).toEqual([]);
  });

  it.each([
    { name: 'unmanaged services are left alone without --prune', prune: false, flush: false, foreignStays: true },
    { name: '--prune deletes services the config does not name', prune: true, flush: false, foreignStays: false },
    { name: 'lvs_flush prunes services the config does not name', prune: false, flush: true, foreignStays: false },
  ])('$name', async ({ prune, flush, foreignStays }) => {
    const w = world((flush ? 'global_defs {\n lvs_flush\n}\n' : '') + VS);
    const pre = await IpvsClient.open(w.kernel);
    await pre.apply([{ op: 'add-service', service: { key: FOREIGN, scheduler: 'rr', onePacket: false, schedFlags: [] } }]);
    const c = capture();
    await runApply({ configFile: F, prune }, c.io, w.deps);
    expect(w.kernel.snapshot().some((e) => e.service.key.kind === 'addr' && e.service.key.address === FOREIGN.address)).toBe(foreignStays);
    expect(c.out.includes('del-service UDP 192.0.2.50:53\n')).toBe(!foreignStays);
  });

  it('reports each kernel failure with its operation and exits 1', async () => {
    const w = world(VS, new FakeIpvsKernel({ schedulers: ['rr'] }));
    const c = capture();
    const e = await failure(runApply({ configFile: F }, c.io, w.deps));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe('3 of 3 operations failed');
    expect(c.err).toEqual([
      "failed: add-service TCP 10.0.0.1:80 scheduler wlc: scheduler 'wlc' is not loaded (load ip_vs_wlc)\n",
      'failed: add-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 masq weight 2: service TCP 10.0.0.1:80 does not exist\n',
      'failed: add-dest TCP 10.0.0.1:80 -> 10.0.1.3:80 masq weight 1 uthreshold 50 lthreshold 0: service TCP 10.0.0.1:80 does not exist\n',
    ]);
    expect(c.out.at(-1)).toBe('applied 0 of 3 operations (1 add-service, 2 add-dest); 3 failed\n');
  });

  it('is a subcommand taking -f, --dry-run and --prune', async () => {
    const w = world(VS);
    const program = new Command('lvsd').exitOverride();
    registerApply(program, w.deps);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program.parseAsync(['apply', '-f', F, '--dry-run', '--prune'], { from: 'user' });
    expect(stdout.mock.calls.map((x) => String(x[0])).at(-1)).toBe('dry run: 3 operations would be applied (1 add-service, 2 add-dest)\n');
    expect(w.kernel.snapshot()).toEqual([]);
    const apply = buildProgram().commands.find((x) => x.name() === 'apply');
    expect(apply?.options.map((o) => o.long)).toEqual(['--config-file', '--dry-run', '--prune']);
    expect(apply?.options.find((o) => o.long === '--config-file')?.defaultValue).toBe(F);
  });
});
