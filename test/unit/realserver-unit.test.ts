// Unit test: the systemd unit's keys, the CLI wiring of `lvsd realserver` (alias rs) it runs, and the README section.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { registerRealserver } from '../../src/cli/realserver.js';
import { nodeFs, parseConfig } from '../../src/config/index.js';
import { RtnlClient } from '../../src/netlink/rtnl-client.js';
import { AF_INET, AF_INET6 } from '../../src/netlink/rtnl.js';
import { FakeRouteKernel, fakeProc } from '../../src/realserver/fake-host.js';
import type { RealserverDeps } from '../../src/realserver/run.js';
import { memoryStateStore } from '../../src/realserver/state.js';
import { addressToBytes } from '../../src/util/addr.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const unit = readFileSync(`${ROOT}systemd/lvsd-realserver.service`, 'utf8');

/** keys reads a unit file into section → key → values (a key may repeat). */
function keys(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      out[section] = {};
      continue;
    }
    const eq = line.indexOf('=');
    const k = line.slice(0, eq);
    (out[section]![k] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

/** expand substitutes the unit's Environment= values the way systemd does: ${VAR} as one word, $VAR split on spaces. */
function expand(cmd: string, env: Record<string, string>): string[] {
  return cmd.split(/\s+/).flatMap((w) => {
    const braced = /^\$\{(\w+)\}$/.exec(w);
    if (braced) return [env[braced[1]!] ?? ''];
    const bare = /^\$(\w+)$/.exec(w);
    return bare ? (env[bare[1]!] ?? '').split(/\s+/).filter(Boolean) : [w];
  });
}

function setup() {
  const kernel = new FakeRouteKernel().addLink(1, 'lo', true).addLink(2, 'eth0');
  kernel.addAddress({ family: AF_INET, prefix: 24, index: 2, bytes: addressToBytes('inet', '192.168.56.101'), label: 'eth0' });
  const store = memoryStateStore();
  const out: string[] = [];
  const model = parseConfig(`${ROOT}examples/l2-dr-directors/lvs1.conf`, nodeFs).model!;
  const paths: string[] = [];
  const deps: RealserverDeps = {
    openNet: () => RtnlClient.open(kernel),
    proc: fakeProc(['lo', 'eth0']),
    store: (p) => (paths.push(p), store),
    isRoot: () => true,
    loadModel: async () => model,
    out: (s) => out.push(s),
    err: () => {},
  };
  const program = new Command('lvsd').exitOverride();
  registerRealserver(program, deps);
  const run = (argv: string[]) => program.parseAsync(argv, { from: 'user' });
  return { kernel, store, out, paths, run };
}

describe('systemd/lvsd-realserver.service', () => {
  const u = keys(unit);
  const env = Object.fromEntries(
    (u.Service!.Environment ?? []).map((e) => {
      const kv = e.replace(/^"|"$/g, '');
      return [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
    }),
  );

  it('is a oneshot that stays active, after the network is online, wanted at boot', () => {
    expect(u.Service!.Type).toEqual(['oneshot']);
    expect(u.Service!.RemainAfterExit).toEqual(['yes']);
    expect(u.Unit!.After).toContain('network-online.target');
    expect(u.Unit!.Wants).toContain('network-online.target');
    expect(u.Install!.WantedBy).toEqual(['multi-user.target']);
    expect(u.Service!.EnvironmentFile).toEqual(['-/etc/default/lvsd-realserver']);
    expect(u.Service!.StateDirectory).toEqual(['lvsd']);
  });

  it('runs up at start and down at stop with the same state file, and the CLI accepts exactly those arguments', async () => {
    const [start] = u.Service!.ExecStart!;
    const [stop] = u.Service!.ExecStop!;
    const up = expand(start!, env);
    const down = expand(stop!, env);
    expect(up.slice(0, 3)).toEqual(['/usr/bin/lvsd', 'realserver', 'up']);
    expect(down.slice(0, 3)).toEqual(['/usr/bin/lvsd', 'realserver', 'down']);
    const h = setup();
    await h.run(up.slice(1));
    expect(h.kernel.addresses.filter((a) => a.index === 1).length).toBe(2);
    await h.run(down.slice(1));
    expect(h.kernel.addresses.filter((a) => a.index === 1)).toEqual([]);
    expect(h.paths).toEqual(['/var/lib/lvsd/realserver.json', '/var/lib/lvsd/realserver.json']);
  });
});

describe('lvsd realserver on the command line', () => {
  it('answers to rs too, with repeatable --vip and --interface', async () => {
    const h = setup();
    await h.run(['rs', 'up', '--vip', '192.168.56.131', '--vip', '2001:db8::131', '--interface', 'eth0', '--label']);
    expect(h.kernel.addresses.filter((a) => a.index === 1).map((a) => [a.family, a.label])).toEqual([
      [AF_INET, 'lo:1'],
      [AF_INET6, undefined],
    ]);
  });

  it('turns a refusal into a CLI error carrying its code, and status into exit status 2 when the host is not ready', async () => {
    const h = setup();
    await expect(h.run(['realserver', 'up', '--vip', 'nonsense'])).rejects.toMatchObject({ message: expect.stringMatching(/^\[RS_BAD_ADDRESS\] /), exitCode: 1 });
    const err = await h.run(['realserver', 'status', '--vip', '192.168.56.131']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/^\[RS_NOT_READY\] /) });
    await h.run(['realserver', 'up', '--vip', '192.168.56.131']);
    await h.run(['realserver', 'status', '--vip', '192.168.56.131', '--json']);
    expect(JSON.parse(h.out.at(-1)!)).toMatchObject({ ok: true });
  });
});

describe('README', () => {
  it('documents the real servers, the unit and what IPv6 gets', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('\n## Real servers'));
    expect(section.length).toBeGreaterThan(500);
    for (const needle of ['lvsd realserver up', 'lvsd realserver down', 'lvsd realserver status', 'systemd/lvsd-realserver.service', 'arp_ignore', 'IPv6', '--state-file']) {
      expect(section).toContain(needle);
    }
  });
});
