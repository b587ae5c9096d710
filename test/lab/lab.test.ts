import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/lab/errors.js';
import { startLab, type Lab } from '../../src/lab/lab.js';

// L2 without lvsd: one client, one DR director, two nginx real servers on 192.168.56.0/24
const VIP = '192.168.56.131';
const hostNginxLog = '/var/log/nginx/error.log';

describe('lab with an L2 topology', () => {
  let lab: Lab;
  let hostLogMtime: number | undefined;

  beforeAll(async () => {
    hostLogMtime = existsSync(hostNginxLog) ? statSync(hostNginxLog).mtimeMs : undefined;
    lab = await startLab({
      hosts: [
        { name: 'client', role: 'client', addresses: ['192.168.56.10/24'] },
        { name: 'director1', role: 'director', addresses: ['192.168.56.121/24'] },
        { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24'] },
        { name: 'rs2', role: 'realserver', addresses: ['192.168.56.102/24'] },
      ],
    });
    process.stdout.write(`lab ready: boot ${lab.timings.bootMs} ms, nginx ${lab.timings.nginxMs} ms, total ${lab.timings.totalMs} ms\n`);
  });

  afterAll(async () => {
    if (!lab) return;
    const dir = lab.dir;
    const console = await lab.stop();
    expect(console).toContain('reboot: Power down');
    // no guest process of this lab survives it
    expect(() => execFileSync('pgrep', ['-f', `init=${dir}/`])).toThrow();
  });

  it('serves each real server body from nginx on its own address', async () => {
    const r = await lab.exec('client', 'curl -s --max-time 5 http://192.168.56.101/ http://192.168.56.102/');
    expect(r).toEqual({ code: 0, stdout: 'rs1\nrs2\n', stderr: '' });
  });

  it('balances a DR virtual service round-robin between the real servers', async () => {
    for (const rs of ['rs1', 'rs2']) {
      await lab.exec(
        rs,
        `ip addr add ${VIP}/32 dev lo && sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 ` +
          'net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2',
        { check: true },
      );
    }
    await lab.exec(
      'director1',
      [
        `ipvsadm -A -t ${VIP}:80 -s rr`,
        `ipvsadm -a -t ${VIP}:80 -r 192.168.56.101:80 -g`,
        `ipvsadm -a -t ${VIP}:80 -r 192.168.56.102:80 -g`,
        `ip addr add ${VIP}/32 dev eth0`,
      ].join(' && '),
      { check: true },
    );
    const table = await lab.exec('director1', 'ipvsadm -Ln', { check: true });
    expect(table.stdout).toMatch(/TCP {2}192\.168\.56\.131:80 rr/);
    expect(table.stdout.match(/-> 192\.168\.56\.10[12]:80 +Route/g)).toHaveLength(2);

    const r = await lab.exec('client', `for i in 1 2 3 4 5 6; do curl -s --max-time 5 http://${VIP}/ || echo failed; done`, { check: true });
    const bodies = r.stdout.trim().split('\n');
    expect(bodies).toHaveLength(6);
    expect(new Set(bodies)).toEqual(new Set(['rs1', 'rs2']));
    for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);
  });

  it('returns exit status, stdout and stderr of a command, and throws LAB_EXEC_FAILED when asked to check', async () => {
    expect(await lab.exec('client', 'echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    await expect(lab.exec('client', 'false', { check: true })).rejects.toMatchObject({ code: 'LAB_EXEC_FAILED' });
  });

  it('runs commands in the host namespace, with the checkout as working directory and LAB_HOST set', async () => {
    const r = await lab.exec('rs2', 'ip -br -4 addr show eth0; pwd; echo $LAB_HOST');
    expect(r.stdout).toMatch(/^eth0@\S+ +UP +192\.168\.56\.102\/24 *\n/);
    expect(r.stdout).toContain(`\n${lab.checkoutDir}\nrs2\n`);
  });

  it('kills a command that overruns its timeout and throws LAB_EXEC_TIMEOUT', async () => {
    const err = await lab.exec('client', 'sleep 30; echo never', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('LAB_EXEC_TIMEOUT');
    expect((await lab.exec('client', 'pgrep -f "sleep 30"')).code).toBe(1);
  });

  it('captures a background process output while it runs and after it is stopped', async () => {
    const dump = lab.spawn('rs1', 'exec tcpdump -l -n -i eth0 tcp port 80');
    await dump.waitForOutput(/listening on eth0/, { stream: 'stderr' });
    expect(dump.running).toBe(true);
    await lab.exec('client', 'curl -s --max-time 5 http://192.168.56.101/', { check: true });
    await dump.waitForOutput(/192\.168\.56\.10\.\d+ > 192\.168\.56\.101\.80:/, { stream: 'stdout', timeoutMs: 5000 });
    const r = await dump.stop();
    expect(dump.running).toBe(false);
    expect(r.code).toBe(0); // tcpdump exits cleanly on TERM …
    expect(r.stderr).toMatch(/\d+ packets captured/); // … after writing its statistics
  });

  it('reports a background process that ended before its output matched', async () => {
    const p = lab.spawn('client', 'echo something else');
    await expect(p.waitForOutput(/never printed/)).rejects.toMatchObject({ code: 'LAB_WAIT_TIMEOUT' });
    expect((await p.wait()).stdout).toBe('something else\n');
  });

  it('stops a background process group that ignores TERM by killing it after the grace period', async () => {
    const p = lab.spawn('client', "trap '' TERM; sleep 60 & wait");
    await lab.waitFor('client', 'pgrep -f "sleep 60"', { timeoutMs: 5000, intervalMs: 100 }); // rerun until it exits 0
    const r = await p.stop({ graceMs: 300 });
    expect(r.code).toBe(137);
    expect((await lab.exec('client', 'pgrep -f "sleep 60"')).code).toBe(1);
  });

  it('stops and restarts nginx on a real server', async () => {
    await lab.stopNginx('rs2');
    expect((await lab.exec('client', 'curl -s --max-time 2 http://192.168.56.102/')).code).toBe(7); // connection refused
    await lab.startNginx('rs2');
    expect((await lab.exec('client', 'curl -s --max-time 5 http://192.168.56.102/')).stdout).toBe('rs2\n');
  });

  it('takes a host off the LAN by setting its bridge-side link down', async () => {
    const link = lab.host('rs1').link;
    await lab.exec(null, `ip link set ${link} down`, { check: true });
    expect((await lab.exec('client', 'curl -s --max-time 1 http://192.168.56.101/')).code).not.toBe(0);
    await lab.exec(null, `ip link set ${link} up`, { check: true });
    expect((await lab.exec('client', 'curl -s --max-time 5 http://192.168.56.101/')).stdout).toBe('rs1\n');
  });

  it('writes files into the guest-private /tmp and the run folder, and refuses any other path', async () => {
    expect(await lab.writeFile('/tmp/rs1/probe.txt', 'in guest tmp\n')).toBe('/tmp/rs1/probe.txt');
    expect((await lab.exec('rs1', 'cat /tmp/rs1/probe.txt')).stdout).toBe('in guest tmp\n');
    expect(await lab.readFile('/tmp/rs1/probe.txt')).toBe('in guest tmp\n');
    const shared = await lab.writeFile('conf/probe.conf', 'shared\n');
    expect(shared).toBe(`${lab.dir}/conf/probe.conf`);
    expect((await lab.exec('client', `cat ${shared}`)).stdout).toBe('shared\n');
    await expect(lab.writeFile('/etc/lvsd-lab-probe', 'x')).rejects.toMatchObject({ code: 'LAB_BAD_PATH' });
  });

  it("runs the project's own CLI inside a host namespace", async () => {
    const r = await lab.exec('director1', `node ${lab.checkoutDir}/bin/lvsd --version`, { check: true });
    expect(r.stdout.trim()).toBe('0.1.0');
  });

  it("leaves this machine's nginx error log alone", () => {
    if (hostLogMtime === undefined) return;
    expect(statSync(hostNginxLog).mtimeMs).toBe(hostLogMtime);
  });
});
