// Unit tests: the systemd units parse (systemd-analyze verify) and name executables of the installed layout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notifyReady } from '../../src/daemon/sdnotify.js';
import type { Launcher } from '../../src/health/launcher.js';

const root = join(__dirname, '../..');
const UNITS = ['lvsd.service', 'lvsd-realserver.service'];

describe('systemd units', () => {
  it.each(UNITS)('%s verifies cleanly with lvsd installed as this checkout', (unit) => {
    // the installed layout puts bin/lvsd at /usr/bin/lvsd; verify a copy that points at this checkout's bin/lvsd
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-units-'));
    const text = readFileSync(join(root, 'systemd', unit), 'utf8');
    expect(text).toContain('/usr/bin/lvsd');
    writeFileSync(join(dir, unit), text.replaceAll('/usr/bin/lvsd', join(root, 'bin/lvsd')));
    const r = spawnSync('systemd-analyze', ['verify', join(dir, unit)], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('lvsd.service reloads with SIGHUP, restarts on failure and keeps only the capabilities lvsd needs', () => {
    const text = readFileSync(join(root, 'systemd/lvsd.service'), 'utf8');
    expect(text).toMatch(/^Type=notify$/m);
    expect(text).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW( CAP_\w+)*$/m);
    for (const k of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes']) expect(text).toContain(`\n${k}\n`);
    // the command line parses as an lvsd command
    const exec = /^ExecStart=\/usr\/bin\/lvsd (.*)$/m.exec(text)?.[1] ?? '';
    expect(exec.split(' ')[0]).toBe('run');
    expect(execFileSync(join(root, 'bin/lvsd'), ['run', '--help'], { encoding: 'utf8' })).toContain('--config-file');
  });

  it('readiness is sent through systemd-notify only under Type=notify', async () => {
    const calls: string[][] = [];
    const fake: Launcher = {
      launch: (req) => {
        calls.push([...req.argv]);
        expect(req.env.NOTIFY_SOCKET).toBe('/run/systemd/notify');
        return { result: Promise.resolve({ code: 0, signal: null, timedOut: false, durationMs: 1, stdout: '', stderr: '' }), kill: () => undefined };
      },
    };
    expect(await notifyReady('ready', {}, fake)).toBe(false);
    expect(await notifyReady('2 virtual servers', { NOTIFY_SOCKET: '/run/systemd/notify' }, fake)).toBe(true);
    expect(calls).toEqual([['systemd-notify', '--ready', `--pid=${process.pid}`, '--status=2 virtual servers']]);
  });
});
