// Unit test: `lvsd realserver up | down | status` end to end over the fake rtnetlink kernel, a fake /proc and an in-memory state file.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryFs, nodeFs, parseConfig, type Model } from '../../src/config/index.js';
import { RtnlClient } from '../../src/netlink/rtnl-client.js';
import { AF_INET, AF_INET6, IFA_F_DEPRECATED, IFA_F_NODAD, RTM_NEWADDR } from '../../src/netlink/rtnl.js';
import { FakeRouteKernel, fakeProc } from '../../src/realserver/fake-host.js';
import { runDown, runStatus, runUp, type RealserverDeps } from '../../src/realserver/run.js';
import { memoryStateStore } from '../../src/realserver/state.js';
import { addressFromBytes, addressToBytes } from '../../src/util/addr.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function host(opts: { v6?: boolean; root?: boolean; proc?: Record<string, string> } = {}) {
  const kernel = new FakeRouteKernel().addLink(1, 'lo', true).addLink(2, 'eth0');
  kernel.addAddress({ family: AF_INET, prefix: 8, index: 1, bytes: addressToBytes('inet', '127.0.0.1'), label: 'lo' });
  kernel.addAddress({ family: AF_INET, prefix: 24, index: 2, bytes: addressToBytes('inet', '192.168.56.101'), label: 'eth0' });
  if (opts.v6) kernel.addAddress({ family: AF_INET6, prefix: 64, index: 2, bytes: addressToBytes('inet6', '2001:db8:56::101') });
  const proc = fakeProc(['lo', 'eth0'], opts.proc ?? {});
  const store = memoryStateStore('/var/lib/lvsd/realserver.json');
  const out: string[] = [];
  const err: string[] = [];
  const models = new Map<string, Model>();
  const deps: RealserverDeps = {
    openNet: () => RtnlClient.open(kernel),
    proc,
    store: () => store,
    isRoot: () => opts.root ?? true,
    loadModel: async (p) => {
      const m = models.get(p) ?? parseConfig(p, nodeFs).model;
      if (!m) throw new Error(`test: no model ${p}`);
      return m;
    },
    out: (s) => out.push(s),
    err: (s) => err.push(s),
  };
  const addrs = () =>
    kernel.addresses
      .map((a) => `${a.index} ${addressFromBytes(a.family === AF_INET ? 'inet' : 'inet6', a.bytes)}/${a.prefix}${a.label && a.label !== 'lo' && a.label !== 'eth0' ? ` ${a.label}` : ''}`)
      .sort();
  const text = () => out.splice(0).join('');
  return { kernel, proc, store, deps, out, err, models, addrs, text, files: () => ({ ...proc.files }) };
}

const ARP = (iface: string, key: string) => `sys/net/ipv4/conf/${iface}/${key}`;

describe('realserver up', () => {
  it('adds each VIP to lo as a host address and sets arp_ignore=1, arp_announce=2 on all and the facing interface, ARP settings first', async () => {
    const h = host();
    const r = await runUp({ vip: ['192.168.56.131', '192.168.56.132/32'] }, h.deps);
    expect(h.addrs()).toEqual(['1 127.0.0.1/8', '1 192.168.56.131/32', '1 192.168.56.132/32', '2 192.168.56.101/24']);
    for (const iface of ['all', 'eth0']) {
      expect(h.proc.files[ARP(iface, 'arp_ignore')]).toBe('1\n');
      expect(h.proc.files[ARP(iface, 'arp_announce')]).toBe('2\n');
    }
    expect(h.proc.files[ARP('lo', 'arp_ignore')]).toBe('0\n');
    expect(r.changes).toBe(6);
    const lines = h.text().trim().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'set net.ipv4.conf.all.arp_ignore 0 -> 1',
      'set net.ipv4.conf.all.arp_announce 0 -> 2',
      'set net.ipv4.conf.eth0.arp_ignore 0 -> 1',
      'set net.ipv4.conf.eth0.arp_announce 0 -> 2',
      'add 192.168.56.131/32 dev lo',
      'add 192.168.56.132/32 dev lo',
    ]);
    expect(JSON.parse(h.store.text!)).toEqual({
      version: 1,
      addresses: [
        { family: 'inet', address: '192.168.56.131', prefix: 32, interface: 'lo' },
        { family: 'inet', address: '192.168.56.132', prefix: 32, interface: 'lo' },
      ],
      sysctls: ['all', 'eth0'].flatMap((i) => [
        { name: `net/ipv4/conf/${i}/arp_ignore`, previous: '0', value: '1' },
        { name: `net/ipv4/conf/${i}/arp_announce`, previous: '0', value: '2' },
      ]),
    });
    expect(h.err).toEqual([]);
  });

  it('changes nothing and rewrites nothing the second time', async () => {
    const h = host();
    await runUp({ vip: ['192.168.56.131'], label: true }, h.deps);
    const [addrs, files, state, sent] = [h.addrs(), h.files(), h.store.text, h.kernel.requests.length];
    h.text();
    const r = await runUp({ vip: ['192.168.56.131'], label: true }, h.deps);
    expect(r.changes).toBe(0);
    expect(h.text()).toBe('up: no changes — 1 VIP on lo and every setting in place\n');
    expect([h.addrs(), h.files(), h.store.text]).toEqual([addrs, files, state]);
    expect(h.kernel.requests.slice(sent).map((b) => b.readUInt16LE(4))).not.toContain(RTM_NEWADDR);
  });

  it('labels IPv4 VIPs with the first free lo:N when asked', async () => {
    const h = host();
    h.kernel.addAddress({ family: AF_INET, prefix: 32, index: 1, bytes: addressToBytes('inet', '10.9.9.9'), label: 'lo:1' });
    await runUp({ vip: ['192.168.56.131', '192.168.56.132'], label: true }, h.deps);
    expect(h.addrs()).toContain('1 192.168.56.131/32 lo:2');
    expect(h.addrs()).toContain('1 192.168.56.132/32 lo:3');
  });

  it('adds IPv6 VIPs deprecated (preferred_lft 0) with nodad, touches no IPv4 setting for them, and says what it did', async () => {
    const h = host({ v6: true });
    await runUp({ vip: ['2001:db8:56::131'] }, h.deps);
    const vip = h.kernel.addresses.find((a) => a.family === AF_INET6 && a.index === 1)!;
    expect(addressFromBytes('inet6', vip.bytes)).toBe('2001:db8:56::131');
    expect([vip.prefix, vip.preferredLft, vip.flags & (IFA_F_DEPRECATED | IFA_F_NODAD)]).toEqual([128, 0, IFA_F_DEPRECATED | IFA_F_NODAD]);
    expect(h.files()).toEqual(fakeProc(['lo', 'eth0']).files);
    const out = h.text();
    expect(out).toContain('add 2001:db8:56::131/128 dev lo nodad noprefixroute preferred_lft 0');
    expect(out).toMatch(/ipv6: .*deprecated/);
    expect(out).toMatch(/ipv6: .*neighbour solicitation only for an address configured on the interface that received it/);
  });

  it('takes from the cluster file the VIPs of every DR virtual_server listing this host as a real_server', async () => {
    const h = host();
    await runUp({ configFile: `${EXAMPLES}l2-dr-directors/lvs1.conf` }, h.deps);
    expect(h.addrs().filter((a) => a.startsWith('1 192.'))).toEqual(['1 192.168.56.131/32', '1 192.168.56.132/32']);
  });

  it('ignores virtual servers whose real servers are other hosts or are not forwarded by direct routing', async () => {
    const h = host();
    const conf = [
      'virtual_server 10.0.0.1 80 {\n lb_kind NAT\n protocol TCP\n real_server 192.168.56.101 80 {\n }\n}',
      'virtual_server 10.0.0.2 80 {\n lb_kind DR\n protocol TCP\n real_server 192.168.56.102 80 {\n }\n}',
      'virtual_server 10.0.0.3 80 {\n lb_kind DR\n protocol TCP\n real_server 192.168.56.101 80 {\n }\n}',
    ].join('\n');
    h.models.set('/etc/x.conf', parseConfig('/etc/x.conf', memoryFs({ '/etc/x.conf': conf })).model!);
    await runUp({ configFile: '/etc/x.conf' }, h.deps);
    expect(h.addrs().filter((a) => a.includes('10.0.0.'))).toEqual(['1 10.0.0.3/32']);
  });

  it('fails with RS_NO_VIPS when the file lists this host nowhere, and touches nothing', async () => {
    const h = host();
    const before = h.files();
    await expect(runUp({ configFile: `${EXAMPLES}l4-directors-as-real-servers/backup.conf` }, h.deps)).rejects.toMatchObject({ code: 'RS_NO_VIPS', message: expect.stringContaining('192.168.56.101') });
    expect(h.files()).toEqual(before);
    expect(h.store.text).toBeUndefined();
  });

  it('removes a VIP an earlier up added once it is no longer wanted, and keeps the rest', async () => {
    const h = host();
    await runUp({ vip: ['192.168.56.131', '192.168.56.132'] }, h.deps);
    await runUp({ vip: ['192.168.56.131'] }, h.deps);
    expect(h.addrs()).not.toContain('1 192.168.56.132/32');
    expect(JSON.parse(h.store.text!).addresses.map((a: { address: string }) => a.address)).toEqual(['192.168.56.131']);
  });
});

describe('realserver down', () => {
  it('puts back exactly the addresses and settings there were before up', async () => {
    const h = host({ proc: { 'net/ipv4/conf/eth0/arp_announce': '1', 'net/ipv4/conf/all/rp_filter': '2' } });
    const [addrs, files] = [h.addrs(), h.files()];
    await runUp({ vip: ['192.168.56.131', '192.168.56.132'], label: true }, h.deps);
    expect(h.files()).not.toEqual(files);
    const r = await runDown({}, h.deps);
    expect([h.addrs(), h.files()]).toEqual([addrs, files]);
    expect(r.changes).toBe(6);
    expect(h.store.text).toBeUndefined();
  });

  it('leaves alone an address and a setting that were already right before up', async () => {
    const h = host({ proc: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_ignore': '2' } });
    h.kernel.addAddress({ family: AF_INET, prefix: 32, index: 1, bytes: addressToBytes('inet', '192.168.56.131'), label: 'lo' });
    const [addrs, files] = [h.addrs(), h.files()];
    await runUp({ vip: ['192.168.56.131'] }, h.deps);
    expect(JSON.parse(h.store.text!)).toMatchObject({ addresses: [], sysctls: [{ name: 'net/ipv4/conf/all/arp_announce' }, { name: 'net/ipv4/conf/eth0/arp_announce' }] });
    await runDown({}, h.deps);
    expect([h.addrs(), h.files()]).toEqual([addrs, files]);
  });

  it('after a reboot in between (VIPs gone, settings back to boot values) changes nothing and forgets the record', async () => {
    const h = host();
    const files = h.files();
    await runUp({ vip: ['192.168.56.131'] }, h.deps);
    h.kernel.addresses.splice(h.kernel.addresses.findIndex((a) => a.bytes.equals(addressToBytes('inet', '192.168.56.131'))), 1);
    Object.assign(h.proc.files, files);
    h.text();
    const r = await runDown({}, h.deps);
    expect(r.changes).toBe(0);
    expect(h.text()).toMatch(/192\.168\.56\.131\/32 is already gone from lo[\s\S]*net\.ipv4\.conf\.all\.arp_ignore is already 0/);
    expect(h.store.text).toBeUndefined();
  });

  it('does not undo a setting someone changed since up, and says so', async () => {
    const h = host();
    await runUp({ vip: ['192.168.56.131'] }, h.deps);
    h.proc.files[ARP('eth0', 'arp_announce')] = '1\n';
    h.text();
    await runDown({}, h.deps);
    expect(h.proc.files[ARP('eth0', 'arp_announce')]).toBe('1\n');
    expect(h.text()).toContain('net.ipv4.conf.eth0.arp_announce was changed since lvsd set it to 2 (now 1): left as it is, not put back to 0');
  });

  it('says there is nothing to undo without a state file', async () => {
    const h = host();
    await runDown({}, h.deps);
    expect(h.text()).toBe('down: nothing to undo (no state file /var/lib/lvsd/realserver.json)\n');
  });
});

describe('realserver errors a person can act on', () => {
  it('refuses to run up or down when not root, before touching anything', async () => {
    const h = host({ root: false });
    await expect(runUp({ vip: ['192.168.56.131'] }, h.deps)).rejects.toMatchObject({ code: 'RS_NOT_ROOT', message: expect.stringContaining('must run as root') });
    await expect(runDown({}, h.deps)).rejects.toMatchObject({ code: 'RS_NOT_ROOT' });
    expect(h.kernel.requests).toHaveLength(0);
  });

  it('reports a kernel refusal (EPERM) as RS_NOT_ROOT and records only what was done', async () => {
    const h = host();
    h.kernel.denyWrites = 1;
    await expect(runUp({ vip: ['192.168.56.131'] }, h.deps)).rejects.toMatchObject({ code: 'RS_KERNEL' });
    expect(h.err.join('')).toContain('[RS_NOT_ROOT] add 192.168.56.131/32 dev lo: permission denied');
    expect(JSON.parse(h.store.text!).addresses).toEqual([]);
    expect(JSON.parse(h.store.text!).sysctls).toHaveLength(4);
  });

  it('stops before adding VIPs when an ARP setting cannot be written, so the host never answers ARP for them', async () => {
    const h = host();
    const write = h.proc.write;
    h.proc.write = (p, v) => {
      if (p.endsWith('eth0/arp_ignore')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      write(p, v);
    };
    await expect(runUp({ vip: ['192.168.56.131'] }, h.deps)).rejects.toMatchObject({ code: 'RS_KERNEL' });
    expect(h.addrs()).not.toContain('1 192.168.56.131/32');
    expect(JSON.parse(h.store.text!).sysctls.map((s: { name: string }) => s.name)).toEqual(['net/ipv4/conf/all/arp_ignore', 'net/ipv4/conf/all/arp_announce']);
    expect(h.err.join('')).toContain('[RS_NOT_ROOT] set net.ipv4.conf.eth0.arp_ignore 0 -> 1: permission denied');
    expect(h.text()).toMatch(/set net\.ipv4\.conf\.eth0\.arp_ignore 0 -> 1: FAILED\n[\s\S]*add 192\.168\.56\.131\/32 dev lo: not done \(an earlier step failed\)/);
  });

  it('says IPv6 may be disabled when the kernel refuses an IPv6 VIP with EACCES', async () => {
    const h = host();
    h.kernel.denyWrites = 13;
    await expect(runUp({ vip: ['2001:db8::131'] }, h.deps)).rejects.toMatchObject({ code: 'RS_KERNEL' });
    expect(h.err.join('')).toContain('[RS_KERNEL] add 2001:db8::131/128 dev lo nodad noprefixroute preferred_lft 0: refused by the kernel (EACCES): is IPv6 disabled');
  });

  it.each([
    ['192.168.56.300', /not an IPv4 or IPv6 address/],
    ['192.168.56.131/24', /host address, \/32/],
    ['127.0.0.2', /loopback/],
    ['fe80::1', /link-local/],
  ])('rejects --vip %s with RS_BAD_ADDRESS', async (vip, message) => {
    const h = host();
    await expect(runUp({ vip: [vip] }, h.deps)).rejects.toMatchObject({ code: 'RS_BAD_ADDRESS', message: expect.stringMatching(message) });
    expect(h.kernel.requests).toHaveLength(0);
  });

  it('rejects an --interface the host does not have, naming those it has', async () => {
    const h = host();
    await expect(runUp({ vip: ['192.168.56.131'], interface: ['eth9'] }, h.deps)).rejects.toMatchObject({ code: 'RS_NO_INTERFACE', message: '--interface eth9: no such interface on this host (it has: eth0)' });
  });

  it('asks for VIPs when given neither --vip nor -f', async () => {
    await expect(runUp({}, host().deps)).rejects.toMatchObject({ code: 'RS_NO_VIPS' });
  });

  it('plans without changing anything in a dry run, even when not root', async () => {
    const h = host({ root: false });
    const before = [h.addrs(), h.files()];
    await runUp({ vip: ['192.168.56.131'], dryRun: true }, h.deps);
    expect([h.addrs(), h.files(), h.store.text]).toEqual([...before, undefined]);
    expect(h.text()).toMatch(/^would set net\.ipv4\.conf\.all\.arp_ignore 0 -> 1\n[\s\S]*would add 192\.168\.56\.131\/32 dev lo\nup \(dry run\): 5 changes planned\n$/);
  });
});

describe('realserver status', () => {
  it('reports the VIPs on lo and the settings, ready, after up', async () => {
    const h = host();
    await runUp({ vip: ['192.168.56.131'] }, h.deps);
    h.text();
    const r = await runStatus({ json: true }, h.deps);
    const doc = JSON.parse(h.text());
    expect(doc).toEqual(JSON.parse(JSON.stringify(r)));
    expect(doc.ok).toBe(true);
    expect(doc.vips).toEqual([{ address: '192.168.56.131', family: 'inet', onLoopback: true, alsoOn: [], addedByLvsd: true }]);
    expect(doc.settings).toContainEqual({ name: 'net.ipv4.conf.eth0.arp_ignore', value: '1', effective: 1, previous: '0' });
    expect(doc.dangers).toEqual([]);
  });

  it('fails with exit status 2 naming each danger when the host would answer ARP for a VIP', async () => {
    const h = host();
    h.kernel.addAddress({ family: AF_INET, prefix: 32, index: 1, bytes: addressToBytes('inet', '192.168.56.131'), label: 'lo' });
    await expect(runStatus({}, h.deps)).rejects.toMatchObject({ code: 'RS_NOT_READY', exitCode: 2 });
    const out = h.text();
    expect(out).toContain('error: [ARP_IGNORE] arp_ignore is 0 on eth0');
    expect(out).toContain('error: [ARP_ANNOUNCE] arp_announce is 0 on eth0');
    expect(out).toMatch(/NOT ready: 2 errors/);
  });
});
