// Lab test: on the guest kernel, DR real servers set up only by `lvsd realserver up -f` from the file the director
// applies (layout L2, IPv4 and IPv6), then put back exactly by `down`; and layout L4, where the backup director
// carries the VIP on lo without answering ARP while the master owns it on its NIC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { startLab, type Lab } from '../../src/lab/lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const CHECKOUT = findCheckout();
const VIP = '192.168.56.131';
const VIP2 = '192.168.56.132';
const VIP6 = '2001:db8:56::131';
const L4_VIP = '192.168.1.120';

// layout L2's virtual servers without persistence_timeout (one client would stay on one real server), plus an IPv6
// DR service whose only real server is rs1
const CLUSTER = `! L2 DR cluster: the directors apply it, the real servers run lvsd realserver up -f on it
virtual_server ${VIP} 80 {
    delay_loop 6
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 192.168.56.101 80 {
        weight 1
    }
    real_server 192.168.56.102 80 {
        weight 1
    }
}
virtual_server ${VIP2} 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 192.168.56.101 80 {
    }
    real_server 192.168.56.102 80 {
    }
}
virtual_server ${VIP6} 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 2001:db8:56::101 80 {
    }
}
`;

const state = (host: string) => `/tmp/${host}/realserver.json`;
// every address, and every IPv4 and IPv6 interface setting (a superset of what lvsd touches)
const SNAPSHOT = 'ip -o addr show; grep -r . /proc/sys/net/ipv4/conf/ /proc/sys/net/ipv6/conf/ 2>/dev/null | sort';

/** arpReplies asks ARP for an address from the client several times and returns the MAC of each reply. */
async function arpReplies(lab: Lab, address: string, iface = 'eth0'): Promise<string[]> {
  const r = await lab.exec('client', `arping -c 4 -w 6 -I ${iface} ${address}`, { timeoutMs: 15_000 });
  return [...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
}

async function mac(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(host, 'cat /sys/class/net/eth0/address', { check: true });
  return r.stdout.trim().toLowerCase();
}

describe('lvsd realserver on the guest kernel', () => {
  let lab: Lab;
  let conf: string;
  const macs: Record<string, string> = {};
  const before: Record<string, string> = {};

  beforeAll(async () => {
    lab = await startLab({
      hosts: [
        { name: 'client', role: 'client', addresses: ['192.168.56.10/24', '2001:db8:56::10/64', '192.168.1.10/24'] },
        { name: 'director', role: 'director', addresses: ['192.168.56.121/24', '2001:db8:56::121/64'] },
        { name: 'rs1', role: 'realserver', addresses: ['192.168.56.101/24', '2001:db8:56::101/64'] },
        { name: 'rs2', role: 'realserver', addresses: ['192.168.56.102/24'] },
        { name: 'lvs103', role: 'realserver', addresses: ['192.168.1.103/24'] },
        { name: 'lvs104', role: 'realserver', addresses: ['192.168.1.104/24'], sysctls: { 'net.ipv4.ip_forward': 1 } },
      ],
    });
    conf = await lab.writeFile('cluster.conf', CLUSTER);
    for (const h of ['director', 'rs1', 'rs2', 'lvs103', 'lvs104']) macs[h] = await mac(lab, h);
    for (const h of ['rs1', 'rs2']) {
      // link-local addresses leave the tentative state after DAD: wait, or the snapshots would differ by it
      await lab.waitFor(h, '! ip -6 addr show tentative | grep -q .', { timeoutMs: 10_000 });
      before[h] = (await lab.exec(h, SNAPSHOT, { check: true })).stdout;
    }
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('up -f takes each real server its VIPs from the cluster file and puts them on lo with ARP silenced', async () => {
    const [r1, r2] = await Promise.all(['rs1', 'rs2'].map((h) => lab.exec(h, `${LVSD} realserver up -f ${conf} --label --state-file ${state(h)}`, { check: true })));
    expect(r1!.stdout).toContain(`add ${VIP}/32 dev lo label lo:1`);
    expect(r1!.stdout).toContain(`add ${VIP6}/128 dev lo nodad noprefixroute preferred_lft 0`);
    expect(r1!.stdout).toMatch(/^up: 7 changes;/m);
    expect(r2!.stdout).toMatch(/^up: 6 changes;/m);
    const lo1 = (await lab.exec('rs1', 'ip -o addr show dev lo', { check: true })).stdout;
    expect(lo1).toMatch(new RegExp(`inet ${VIP}/32 scope global lo:1`));
    expect(lo1).toMatch(new RegExp(`inet ${VIP2}/32 scope global lo:2`));
    expect(lo1).toMatch(new RegExp(`inet6 ${VIP6}/128 scope global nodad deprecated noprefixroute`));
    const lo2 = (await lab.exec('rs2', 'ip -o addr show dev lo', { check: true })).stdout;
    expect(lo2).toContain(`inet ${VIP}/32`);
    expect(lo2).not.toContain(VIP6);
    const arp = await lab.exec('rs2', 'cat /proc/sys/net/ipv4/conf/{all,eth0}/arp_ignore /proc/sys/net/ipv4/conf/{all,eth0}/arp_announce', { check: true });
    expect(arp.stdout.split('\n').slice(0, 4)).toEqual(['1', '1', '2', '2']);
  });

  it('up a second time changes nothing: same addresses, settings and state file', async () => {
    const look = `${SNAPSHOT}; cat ${state('rs1')}`;
    const first = (await lab.exec('rs1', look, { check: true })).stdout;
    const again = await lab.exec('rs1', `${LVSD} realserver up -f ${conf} --label --state-file ${state('rs1')}`, { check: true });
    expect(again.stdout).toBe('up: no changes — 3 VIPs on lo and every setting in place\n');
    expect((await lab.exec('rs1', look, { check: true })).stdout).toBe(first);
  });

  it('only the director answers ARP for the VIP, and nobody for a VIP the director does not hold', async () => {
    await lab.exec('director', `ip addr add ${VIP}/32 dev eth0 && ip -6 addr add ${VIP6}/128 dev eth0 nodad && ${LVSD} apply -f ${conf}`, { check: true });
    const replies = await arpReplies(lab, VIP);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    expect(new Set(replies)).toEqual(new Set([macs.director]));
    expect(await arpReplies(lab, VIP2)).toEqual([]);
  });

  it('requests through the VIP are answered by the real servers directly, from the VIP', async () => {
    const dump = lab.spawn('client', `exec tcpdump -l -n -e -i eth0 'tcp and src port 80 and (src host ${VIP} or src host ${VIP6})'`);
    await dump.waitForOutput(/listening on eth0/, { stream: 'stderr' });
    const r = await lab.exec('client', `for i in 1 2 3 4; do curl -s --max-time 5 http://${VIP}/ || echo failed; done; curl -s --max-time 5 -g http://[${VIP6}]/ || echo failed6`, { check: true });
    expect(r.stdout.split('\n').slice(0, 4).sort()).toEqual(['rs1', 'rs1', 'rs2', 'rs2']);
    expect(r.stdout.split('\n')[4]).toBe('rs1');
    await dump.waitForOutput(new RegExp(`${VIP6}\\.80 >`), { stream: 'stdout', timeoutMs: 5000 });
    const lines = (await dump.stop()).stdout.split('\n').filter((l) => l.includes('.80 > '));
    const from = new Set(lines.map((l) => l.split(' ')[1]!.toLowerCase()));
    expect(from).toEqual(new Set([macs.rs1, macs.rs2]));
    expect(lines.every((l) => l.includes(`${VIP}.80 > 192.168.56.10.`) || l.includes(`${VIP6}.80 > 2001:db8:56::10.`))).toBe(true);
  });

  it('a real server does not answer neighbour solicitations for an IPv6 VIP on its lo', async () => {
    const solicit = `ip -6 neigh flush all; ping -6 -c 2 -W 1 ${VIP6} >/dev/null; ip -6 neigh show ${VIP6}`;
    // control: while the director holds it on its NIC, the director answers
    expect((await lab.exec('client', solicit)).stdout.toLowerCase()).toContain(`lladdr ${macs.director}`);
    // with the director's copy gone, only rs1 holds the VIP (on lo): the client's solicitation goes unanswered
    await lab.exec('director', `ip -6 addr del ${VIP6}/128 dev eth0`, { check: true });
    const r = await lab.exec('client', solicit);
    expect(r.stdout).not.toMatch(/lladdr/);
  });

  it('status passes on a real server set up by up, and fails with exit 2 when arp_ignore is undone by hand', async () => {
    const ok = await lab.exec('rs1', `${LVSD} realserver status --json --state-file ${state('rs1')}`);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, dangers: [], recorded: { addresses: 3, sysctls: 4 } });
    // control: a real server that answers ARP is seen by arping and by status
    await lab.exec('rs2', 'sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0', { check: true });
    expect(new Set(await arpReplies(lab, VIP2))).toEqual(new Set([macs.rs2]));
    const bad = await lab.exec('rs2', `${LVSD} realserver status --state-file ${state('rs2')}`);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('error: [ARP_IGNORE] arp_ignore is 0 on eth0');
    // up repairs it
    const fix = await lab.exec('rs2', `${LVSD} realserver up -f ${conf} --label --state-file ${state('rs2')}`, { check: true });
    expect(fix.stdout).toMatch(/^up: 2 changes;/m);
    expect(await arpReplies(lab, VIP2)).toEqual([]);
  });

  it('down leaves each real server exactly as before up: addresses and every setting', async () => {
    for (const h of ['rs1', 'rs2']) {
      const r = await lab.exec(h, `${LVSD} realserver down --state-file ${state(h)}`, { check: true });
      expect(r.stdout).toMatch(/^down: \d+ changes; the host is as it was before up/m);
      expect((await lab.exec(h, SNAPSHOT, { check: true })).stdout).toBe(before[h]);
      expect((await lab.exec(h, `test -e ${state(h)}`)).code).toBe(1);
    }
  });

  it('L4: the backup director carries the VIP on lo without answering ARP, the master owns it on its NIC', async () => {
    const examples = `${CHECKOUT}/examples/l4-directors-as-real-servers`;
    await Promise.all([
      lab.exec('lvs103', `${LVSD} realserver up -f ${examples}/backup.conf --state-file ${state('lvs103')}`, { check: true }),
      // the master runs the same unit; its VRRP instance (here: ip) then puts the VIP on its NIC
      lab.exec('lvs104', `${LVSD} realserver up -f ${examples}/master.conf --state-file ${state('lvs104')} && ip addr add ${L4_VIP}/24 dev eth0 label eth0:0`, { check: true }),
    ]);
    expect((await lab.exec('lvs103', 'ip -o addr show dev lo', { check: true })).stdout).toContain(`inet ${L4_VIP}/32`);
    const replies = await arpReplies(lab, L4_VIP);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    expect(new Set(replies)).toEqual(new Set([macs.lvs104]));
    // the master balances to both (itself locally, the backup by direct routing); the backup answers from the VIP
    await lab.exec('lvs104', `ipvsadm -A -t ${L4_VIP}:80 -s rr && ipvsadm -a -t ${L4_VIP}:80 -r 192.168.1.103:80 -g && ipvsadm -a -t ${L4_VIP}:80 -r 192.168.1.104:80 -g`, { check: true });
    const r = await lab.exec('client', `for i in 1 2 3 4; do curl -s --max-time 5 http://${L4_VIP}/ || echo failed; done`, { check: true });
    expect(r.stdout.trim().split('\n').sort()).toEqual(['lvs103', 'lvs103', 'lvs104', 'lvs104']);
    const status = await lab.exec('lvs103', `${LVSD} realserver status -f ${examples}/backup.conf --state-file ${state('lvs103')}`);
    expect(status.code).toBe(0);
    // on the master the VIP on its NIC is expected (a vrrp_instance of its file moves it): a warning, not an error
    const master = await lab.exec('lvs104', `${LVSD} realserver status -f ${examples}/master.conf --state-file ${state('lvs104')}`);
    expect(master.code).toBe(0);
    expect(master.stdout).toContain(`warning: [VIP_ON_INTERFACE] ${L4_VIP} is on eth0`);
  });
});
