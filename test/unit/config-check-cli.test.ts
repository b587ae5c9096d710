// Unit tests: `lvsd check` — diagnostics on stderr as file:line:column, exit codes, --json model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { CliError } from '../../src/cli/errors.js';
import { main } from '../../src/cli/main.js';
import { memoryFs, parseConfig } from '../../src/config/index.js';

const F = '/etc/keepalived/keepalived.conf';
const GOOD = 'virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n  }\n }\n}\n';
const BAD = 'vrrp_instance V {\n interface eth0\n virtual_router_id 300\n}\n';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const fake = (text: string) => (path: string) => parseConfig(path, memoryFs({ [F]: text }));

describe('lvsd check', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints warnings as file:line:column: severity: message (hint) and succeeds', () => {
    const c = capture();
    runCheck({ configFile: F }, c.io, fake(GOOD));
    expect(c.err).toEqual([`${F}:4:3: warning: HTTP_GET is not implemented by lvsd yet; its block is skipped (lvsd does not health-check with this block; add a TCP_CHECK)\n`]);
    expect(c.out).toEqual([]);
  });

  it('prints errors and fails with exit code 1', () => {
    const c = capture();
    let thrown: unknown;
    try {
      runCheck({ configFile: F }, c.io, fake(BAD));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(1);
    expect(c.err).toEqual([`${F}:3:20: error: virtual_router_id '300' is out of range (expected an integer 1..255)\n`]);
  });

  it('prints the parsed model as JSON with --json', () => {
    const c = capture();
    runCheck({ configFile: F, json: true }, c.io, fake(GOOD));
    const model = JSON.parse(c.out.join(''));
    expect(model.virtualServers[0].realServers[0]).toMatchObject({ address: '10.0.0.2', port: 80, skippedCheckers: [{ type: 'HTTP_GET' }] });
  });

  it('is wired into the program: -f reads a file, exit 0 when usable and 1 when not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-check-'));
    writeFileSync(join(dir, 'good.conf'), GOOD);
    writeFileSync(join(dir, 'bad.conf'), BAD);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['check', '-f', join(dir, 'good.conf')])).toBe(0);
    expect(await main(['check', '--config-file', join(dir, 'bad.conf')])).toBe(1);
    expect(await main(['check', '-f', join(dir, 'missing.conf')])).toBe(1);
    const errs = stderr.mock.calls.map((c) => String(c[0]));
    expect(errs.some((s) => s.startsWith(`${join(dir, 'bad.conf')}:3:20: error:`))).toBe(true);
    expect(errs.some((s) => s.includes('missing.conf') && s.includes('cannot read'))).toBe(true);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('defaults to /etc/keepalived/keepalived.conf like keepalived', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const check = buildProgram().commands.find((c) => c.name() === 'check');
    expect(check?.options.find((o) => o.long === '--config-file')?.defaultValue).toBe(F);
  });
});
