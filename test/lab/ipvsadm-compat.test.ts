// Lab test: on the guest kernel, `lvsd list` and `lvsd save` print what ipvsadm prints for a varied table,
// and `lvsd restore` of an `ipvsadm -Sn` dump gives the same dump back.
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/lab.js';
import { findCheckout } from '../../src/lab/guest.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

// A table that exercises every listing feature: each scheduler, each forwarding method (tunnel with GUE/GRE
// options), persistence with a netmask, one-packet scheduling, a persistence engine, sh flags, thresholds,
// weight 0, fwmark, UDP, SCTP and IPv6 services and destinations.
const TABLE = [
  '-A -t 192.168.56.131:80 -s wrr -p 5',
  '-a -t 192.168.56.131:80 -r 192.168.56.101:80 -g -w 1',
  '-a -t 192.168.56.131:80 -r 192.168.56.102:80 -g -w 3 -x 100 -y 10',
  '-A -t 192.168.56.132:80 -s rr',
  '-a -t 192.168.56.132:80 -r 192.168.56.101:8080 -m -w 2',
  '-a -t 192.168.56.132:80 -r 192.168.56.102:80 -i -w 0',
  '-a -t 192.168.56.132:80 -r 192.168.56.103:80 -i --tun-type gue --tun-port 6080 --tun-remcsum',
  '-a -t 192.168.56.132:80 -r 192.168.56.104:80 -i --tun-type gre --tun-csum',
  ...SCHEDULERS.flatMap((s, i) => [`-A -t 192.168.56.${140 + i}:8080 -s ${s}`, `-a -t 192.168.56.${140 + i}:8080 -r 192.168.56.101:8080 -g -w ${i + 1}`]),
  '-A -t 192.168.56.160:443 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0',
  '-a -t 192.168.56.160:443 -r 192.168.56.102:443 -g',
  '-A -t 192.168.56.161:443 -s mh -b mh-fallback,mh-port',
  '-A -u 192.168.56.131:53 -s rr -o',
  '-a -u 192.168.56.131:53 -r 192.168.56.101:53 -m',
  '-A -u 192.168.56.133:5060 -s rr -p 30 --pe sip',
  '-A --sctp-service 192.168.56.134:9000 -s rr',
  '-a --sctp-service 192.168.56.134:9000 -r 192.168.56.102:9000 -g',
  '-A -f 42 -s wlc -p 60',
  '-a -f 42 -r 192.168.56.101:0 -g -w 2',
  '-a -f 42 -r 192.168.56.102:0 -g -w 4',
  '-A -t [2001:db8:56::131]:80 -s rr -p 120 -M 64',
  '-a -t [2001:db8:56::131]:80 -r [2001:db8:56::101]:80 -g',
  '-a -t [2001:db8:56::131]:80 -r [2001:db8:56::102]:80 -g -w 7',
  '-A -f 43 -6 -s rr',
  '-a -f 43 -6 -r [2001:db8:56::103]:0 -g',
];

const LIST_OPTIONS: string[][] = [
  [],
  ['--stats'],
  ['--rate'],
  ['--stats', '--exact'],
  ['--rate', '--exact'],
  ['--thresholds'],
  ['--persistent-conn'],
  ['--sort'],
  ['--nosort'],
  ['--tun-info'],
  ['--sort', '--thresholds'],
  ['--timeout'],
  ['--daemon'],
  ['-t', '192.168.56.131:80'],
  ['-u', '192.168.56.131:53'],
  ['-f', '42'],
  ['-t', '[2001:db8:56::131]:80', '--stats'],
  ['-c'],
];

describe('ipvsadm compatibility on the guest kernel', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    lab = await startLab({
      hosts: [
        { name: 'director', role: 'director', addresses: ['192.168.56.121/24', '2001:db8:56::121/64'] },
        { name: 'client', role: 'client', addresses: ['192.168.56.10/24'] },
      ],
    }, { modules: ['ip_vs_pe_sip'] });
    dir = dirname(await lab.writeFile('table.txt', TABLE.join('\n') + '\n'));
    await lab.exec('director', `ipvsadm -R < ${dir}/table.txt && ipvsadm --start-daemon master --mcast-interface eth0 --syncid 7`, { check: true });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('lvsd list prints byte for byte what ipvsadm -L -n prints, for every listing option', async () => {
    const script = LIST_OPTIONS.map((o, i) => `ipvsadm -L -n ${o.join(' ')} > ${dir}/ipvsadm-${i}.txt 2>&1; ${LVSD} list ${o.join(' ')} > ${dir}/lvsd-${i}.txt 2>&1`).join('\n');
    await lab.exec('director', script, { timeoutMs: 180_000 });
    for (const [i, o] of LIST_OPTIONS.entries()) {
      const theirs = await lab.readFile(`ipvsadm-${i}.txt`);
      expect(theirs.length, `ipvsadm -L -n ${o.join(' ')} printed something`).toBeGreaterThan(0);
      expect(await lab.readFile(`lvsd-${i}.txt`), `lvsd list ${o.join(' ')}`).toBe(theirs);
    }
  }, 200_000);

  it('lvsd list --json carries every service and destination of the table', async () => {
    const r = await lab.exec('director', `${LVSD} list --json`, { check: true });
    const doc = JSON.parse(r.stdout) as { services: { destinations: unknown[] }[] };
    expect(doc.services).toHaveLength(TABLE.filter((l) => l.startsWith('-A')).length);
    expect(doc.services.reduce((n, s) => n + s.destinations.length, 0)).toBe(TABLE.filter((l) => l.startsWith('-a')).length);
  });

  it('lvsd save prints what ipvsadm -Sn prints', async () => {
    const theirs = await lab.exec('director', 'ipvsadm -S -n', { check: true });
    const ours = await lab.exec('director', `${LVSD} save`, { check: true });
    expect(ours.stdout).toBe(theirs.stdout);
    expect(theirs.stdout.split('\n').length).toBeGreaterThan(TABLE.length - 5);
  });

  it('lvsd restore of an ipvsadm -Sn dump into an empty table gives the same dump back', async () => {
    const dump = await lab.exec('director', `ipvsadm -S -n | tee ${dir}/dump.txt`, { check: true });
    await lab.exec('director', `ipvsadm -C && ${LVSD} restore < ${dir}/dump.txt`, { check: true });
    const after = await lab.exec('director', 'ipvsadm -S -n', { check: true });
    expect(after.stdout).toBe(dump.stdout);
    // and from a file argument, after a flush in the same input
    await lab.writeFile('flush-then-dump.txt', `-C\n${dump.stdout}`);
    await lab.exec('director', `${LVSD} restore ${dir}/flush-then-dump.txt`, { check: true });
    expect((await lab.exec('director', 'ipvsadm -S -n', { check: true })).stdout).toBe(dump.stdout);
   }, 60_000);

  it('lvsd restore names the line the kernel refused and what to do, and applies the rest', async () => {
    await lab.writeFile('bad.txt', '-A -t 192.168.56.170:80 -s rr\n-A -t 192.168.56.171:80 -s nosuchsched\n-a -t 192.168.56.172:80 -r 192.168.56.101:80 -g\n');
    const r = await lab.exec('director', `ipvsadm -C && ${LVSD} restore ${dir}/bad.txt`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/line 2: scheduler 'nosuchsched' is not loaded/);
    expect(r.stderr).toMatch(/line 3: service TCP 192.168.56.172:80 does not exist/);
    expect((await lab.exec('director', 'ipvsadm -S -n', { check: true })).stdout).toBe('-A -t 192.168.56.170:80 -s rr\n');
    // the same when every line has the shape ipvsadm -Sn writes (compiled straight into messages, codec-restore.ts)
    const good = '-A -t 192.168.56.170:80 -s rr -p 300\n-a -t 192.168.56.170:80 -r 192.168.56.101:80 -g -w 3\n-A -u 192.168.56.170:53 -s wrr\n-a -u 192.168.56.170:53 -r 192.168.56.102:5353 -m -w 0\n';
    await lab.writeFile('good.txt', good);
    await lab.writeFile('bad-fast.txt', `${good}-A -t 192.168.56.171:80 -s nosuchsched\n-a -t 192.168.56.172:80 -r 192.168.56.101:80 -g -w 1\n`);
    const expected = (await lab.exec('director', `ipvsadm -C && ipvsadm -R < ${dir}/good.txt && ipvsadm -S -n`, { check: true })).stdout;
    expect(expected.split('\n')).toHaveLength(5);
    const f = await lab.exec('director', `ipvsadm -C && ${LVSD} restore ${dir}/bad-fast.txt`);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/line 5: scheduler 'nosuchsched' is not loaded/);
    expect(f.stderr).toMatch(/line 6: service TCP 192.168.56.172:80 does not exist/);
    expect((await lab.exec('director', 'ipvsadm -S -n', { check: true })).stdout).toBe(expected);
   }, 60_000);

  it('lvsd list explains a kernel without IPVS instead of printing ENOENT', async () => {
    // hide the modules so that the kernel's on-demand load of the IPVS family (request_module) fails too
    await lab.exec(null, 'mount -t tmpfs tmpfs /lib/modules', { check: true });
    const unload = await lab.exec('director', `ipvsadm --stop-daemon master; ipvsadm -C; for m in $(lsmod | awk '/^ip_vs_/ {print $1}'); do modprobe -r $m; done; modprobe -r ip_vs; lsmod | grep ip_vs; true`, { timeoutMs: 60_000 });
    expect(unload.stdout + unload.stderr, 'ip_vs unloaded').not.toMatch(/^ip_vs /m);
    const r = await lab.exec('director', `${LVSD} list; echo "exit=$?"`);
    expect(r.stderr).toMatch(/IPVS is not available in this kernel \(load ip_vs/);
    expect(r.stdout).toMatch(/exit=[1-9]/);
    await lab.exec(null, 'umount /lib/modules && modprobe ip_vs', { check: true });
  }, 90_000);
});
