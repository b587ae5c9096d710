// Install test: the README's install and upgrade steps, run into a scratch prefix — pack, install the tarball,
// run the installed lvsd, verify the shipped units against the installed layout, install a newer version over it.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const README = readFileSync(join(root, 'README.md'), 'utf8');

const execFileAsync = promisify(execFile);

/** run executes a command without blocking the test worker (npm install takes tens of seconds) and returns its stdout. */
async function run(cmd: string, args: string[], cwd = root): Promise<string> {
  try {
    return (await execFileAsync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 24 })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** npmInstall is the README's `npm install -g --prefix /usr TARBALL`, into the scratch prefix. */
async function npmInstall(prefix: string, tarball: string): Promise<void> {
  await run('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund']);
}

describe('install and upgrade as the README says', () => {
  let dir: string;
  let prefix: string;
  let lvsd: string;
  let installed: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-install-'));
    prefix = join(dir, 'usr');
    // `npm pack` builds through prepack; the suite has just built dist/, so the test packs what is there
    const name = (await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir])).trim().split('\n').at(-1)!;
    await npmInstall(prefix, join(dir, name));
    lvsd = join(prefix, 'bin', 'lvsd');
    installed = join(prefix, 'lib', 'node_modules', 'lvsd');
  }, 300_000);

  afterAll(() => {
    if (dir) spawnSync('rm', ['-rf', dir]);
  });

  it('the README gives the steps this test runs', () => {
    for (const step of [
      'npm ci && npm pack',
      'npm install -g --prefix /usr ./lvsd-0.1.0.tgz',
      'install -m 0644 /usr/lib/node_modules/lvsd/systemd/lvsd.service /etc/systemd/system/',
      'lvsd check -f /etc/keepalived/keepalived.conf',
      'systemctl daemon-reload && systemctl enable --now lvsd',
      'npm install -g --prefix /usr ./lvsd-0.2.0.tgz',
      'lvsd --version && lvsd check -f /etc/keepalived/keepalived.conf && systemctl restart lvsd',
    ]) expect(README).toContain(step);
  });

  it('installs bin/lvsd as PREFIX/bin/lvsd, which runs and checks the shipped examples', async () => {
    expect((await run(lvsd, ['--version'])).trim()).toBe(pkg.version);
    const examples = join(installed, 'examples');
    const files = readdirSync(examples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.conf'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) await expect(run(lvsd, ['check', '-f', join(examples, f)]), f).resolves.toBeTypeOf('string');
  });

  it('builds the native addon at install time and ships no test, source or lab files', () => {
    expect(existsSync(join(installed, 'native', 'build', 'Release', 'lvsd_packet.node'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules', 'raw-socket', 'build', 'Release', 'raw.node'))).toBe(true);
    for (const absent of ['src', 'test', '.lab', 'demo', 'bench']) expect(existsSync(join(installed, absent)), absent).toBe(false);
  });

  it.each(['lvsd.service', 'lvsd-realserver.service'])('%s as installed verifies, and every path it runs exists in the installed layout', (unit) => {
    const text = readFileSync(join(installed, 'systemd', unit), 'utf8');
    expect(text).toBe(readFileSync(join(root, 'systemd', unit), 'utf8'));
    // /usr is the README's prefix: map it to the scratch one
    const mapped = text.replaceAll('/usr/bin/lvsd', lvsd);
    const execs = [...mapped.matchAll(/^Exec\w+=-?(\S+)/gm)].map((m) => m[1]!);
    expect(execs.length).toBeGreaterThanOrEqual(2);
    for (const p of execs) expect(existsSync(p), p).toBe(true);
    const units = join(dir, 'etc-systemd-system');
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, unit), mapped);
    const r = spawnSync('systemd-analyze', ['verify', join(units, unit)], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('upgrades in place: a newer tarball installed over it is the lvsd that runs', async () => {
    // a newer release: the same package with a higher version, packed as a release would be
    const stage = join(dir, 'stage');
    mkdirSync(stage);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    await run('tar', ['xzf', join(dir, tarball), '-C', stage]);
    const manifest = join(stage, 'package', 'package.json');
    const next = `${pkg.version}-upgrade.1`;
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), version: next }, null, 2));
    await run('tar', ['czf', join(dir, 'lvsd-next.tgz'), '-C', stage, 'package']);
    await npmInstall(prefix, join(dir, 'lvsd-next.tgz'));
    expect((await run(lvsd, ['--version'])).trim()).toBe(next);
    await expect(run(lvsd, ['check', '-f', join(installed, 'examples', 'l2-dr-directors', 'lvs1.conf')])).resolves.toBeTypeOf('string');
  }, 300_000);
});
