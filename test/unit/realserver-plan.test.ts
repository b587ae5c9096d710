// Unit test: planning `up` and `down` from a host snapshot and the state file, and the state after the steps that ran.
import { describe, expect, it } from 'vitest';
import { IFA_F_NODAD, IFA_F_NOPREFIXROUTE } from '../../src/netlink/rtnl.js';
import { EMPTY_STATE, type HostAddress, type HostSnapshot, type RealserverState, type Step } from '../../src/realserver/model.js';
import { planDown, planUp, stateAfter, writeAheadState } from '../../src/realserver/plan.js';

const LINKS = [
  { index: 1, name: 'lo', loopback: true, up: true },
  { index: 2, name: 'eth0', loopback: false, up: true },
  { index: 3, name: 'eth1', loopback: false, up: true },
];

function snapshot(extra: { addresses?: HostAddress[]; sysctls?: Record<string, string> } = {}): HostSnapshot {
  const sysctls: Record<string, string> = {};
  for (const i of ['all', 'lo', 'eth0', 'eth1']) for (const k of ['arp_ignore', 'arp_announce', 'proxy_arp', 'rp_filter']) sysctls[`net/ipv4/conf/${i}/${k}`] = '0';
  return {
    links: LINKS,
    addresses: [
      { family: 'inet', address: '127.0.0.1', prefix: 8, index: 1, interface: 'lo', label: 'lo', flags: 0x80 },
      { family: 'inet', address: '192.168.56.101', prefix: 24, index: 2, interface: 'eth0', label: 'eth0', flags: 0x80 },
      ...(extra.addresses ?? []),
    ],
    sysctls: { ...sysctls, ...extra.sysctls },
    defaultRouteInterfaces: [],
  };
}

const onLo = (address: string, label = 'lo'): HostAddress => ({ family: address.includes(':') ? 'inet6' : 'inet', address, prefix: address.includes(':') ? 128 : 32, index: 1, interface: 'lo', label, flags: 0x80 });
const v4 = (address: string) => ({ family: 'inet' as const, address });
const v6 = (address: string) => ({ family: 'inet6' as const, address });
const kinds = (steps: readonly Step[]) => steps.map((s) => (s.action ? `${s.action.kind} ${'name' in s.action ? s.action.name : s.action.address}` : `- ${s.note}`));

describe('planUp', () => {
  it('sets the ARP settings on all and only the facing interfaces before adding the VIPs', () => {
    const plan = planUp(snapshot(), { vips: [v4('192.168.56.131')], interfaces: ['eth1'], labels: false }, EMPTY_STATE);
    expect(kinds(plan.steps)).toEqual([
      'set-sysctl net/ipv4/conf/all/arp_ignore',
      'set-sysctl net/ipv4/conf/all/arp_announce',
      'set-sysctl net/ipv4/conf/eth1/arp_ignore',
      'set-sysctl net/ipv4/conf/eth1/arp_announce',
      'add-address 192.168.56.131',
    ]);
    expect(plan.steps[0]!.remember).toEqual({ sysctl: { name: 'net/ipv4/conf/all/arp_ignore', previous: '0', value: '1' } });
  });

  it('accepts arp_ignore=2 as it is and records nothing for what is already right', () => {
    const plan = planUp(
      snapshot({ addresses: [onLo('192.168.56.131')], sysctls: { 'net/ipv4/conf/all/arp_ignore': '2', 'net/ipv4/conf/all/arp_announce': '2', 'net/ipv4/conf/eth0/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_announce': '2' } }),
      { vips: [v4('192.168.56.131')], interfaces: ['eth0'], labels: false },
      EMPTY_STATE,
    );
    expect(plan.steps).toEqual([]);
  });

  it('makes no ARP setting for IPv6 VIPs and adds them with nodad, noprefixroute and preferred_lft 0', () => {
    const plan = planUp(snapshot(), { vips: [v6('2001:db8::131')], interfaces: ['eth0'], labels: true }, EMPTY_STATE);
    expect(plan.steps.map((s) => s.action)).toEqual([
      { kind: 'add-address', family: 'inet6', address: '2001:db8::131', prefix: 128, interface: 'lo', index: 1, flags: IFA_F_NODAD | IFA_F_NOPREFIXROUTE, preferredLft: 0 },
    ]);
    expect(plan.steps[0]!.remember).toEqual({ address: { family: 'inet6', address: '2001:db8::131', prefix: 128, interface: 'lo' } });
  });

  it('numbers labels from the first free lo:N', () => {
    const plan = planUp(snapshot({ addresses: [onLo('10.0.0.1', 'lo:1'), onLo('10.0.0.3', 'lo:3')] }), { vips: [v4('10.0.0.7'), v4('10.0.0.8')], interfaces: [], labels: true }, EMPTY_STATE);
    expect(plan.steps.flatMap((s) => (s.action?.kind === 'add-address' ? [s.action.label] : []))).toEqual(['lo:2', 'lo:4']);
  });

  it('notes a setting the host does not have instead of failing', () => {
    const host = snapshot();
    const sysctls = { ...host.sysctls };
    delete sysctls['net/ipv4/conf/eth1/arp_announce'];
    const plan = planUp({ ...host, sysctls }, { vips: [v4('10.0.0.7')], interfaces: ['eth1'], labels: false }, EMPTY_STATE);
    expect(kinds(plan.steps)).toContain('- net.ipv4.conf.eth1.arp_announce does not exist on this host: not set');
  });

  it('re-adds a recorded VIP that vanished (reboot) and removes a recorded one no longer wanted', () => {
    const state: RealserverState = {
      version: 1,
      addresses: [
        { family: 'inet', address: '10.0.0.7', prefix: 32, interface: 'lo' },
        { family: 'inet', address: '10.0.0.8', prefix: 32, interface: 'lo' },
      ],
      sysctls: [],
    };
    const plan = planUp(snapshot({ addresses: [onLo('10.0.0.8')], sysctls: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/all/arp_announce': '2' } }), { vips: [v4('10.0.0.7')], interfaces: [], labels: false }, state);
    expect(kinds(plan.steps)).toEqual(['add-address 10.0.0.7', 'del-address 10.0.0.8']);
    expect(stateAfter(state, plan.steps).addresses.map((a) => a.address)).toEqual(['10.0.0.7']);
  });

  it('fails with RS_NO_LOOPBACK on a host without a loopback', () => {
    expect(() => planUp({ ...snapshot(), links: LINKS.slice(1) }, { vips: [v4('10.0.0.7')], interfaces: [], labels: false }, EMPTY_STATE)).toThrow(expect.objectContaining({ code: 'RS_NO_LOOPBACK' }));
  });
});

describe('planDown', () => {
  const state: RealserverState = {
    version: 1,
    addresses: [{ family: 'inet', address: '10.0.0.7', prefix: 32, interface: 'lo', label: 'lo:1' }],
    sysctls: [
      { name: 'net/ipv4/conf/all/arp_ignore', previous: '0', value: '1' },
      { name: 'net/ipv4/conf/eth0/arp_announce', previous: '1', value: '2' },
      { name: 'net/ipv4/conf/eth9/arp_ignore', previous: '0', value: '1' },
    ],
  };

  it('deletes the recorded addresses, then puts each setting back, and forgets interfaces that are gone', () => {
    const plan = planDown(snapshot({ addresses: [onLo('10.0.0.7', 'lo:1')], sysctls: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_announce': '2' } }), state);
    expect(plan.steps.map((s) => s.action)).toEqual([
      { kind: 'del-address', family: 'inet', address: '10.0.0.7', prefix: 32, interface: 'lo', index: 1 },
      { kind: 'set-sysctl', name: 'net/ipv4/conf/all/arp_ignore', from: '1', to: '0' },
      { kind: 'set-sysctl', name: 'net/ipv4/conf/eth0/arp_announce', from: '2', to: '1' },
      undefined,
    ]);
    expect(plan.steps[3]!.note).toBe('net.ipv4.conf.eth9.arp_ignore no longer exists (interface removed?): nothing to put back');
    expect(stateAfter(state, plan.steps)).toEqual(EMPTY_STATE);
  });

  it('keeps in the state what failed, so that a second down can finish', () => {
    const plan = planDown(snapshot({ addresses: [onLo('10.0.0.7', 'lo:1')], sysctls: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_announce': '2' } }), state);
    const left = stateAfter(state, plan.steps, (i) => i !== 2);
    expect(left).toEqual({ version: 1, addresses: [], sysctls: [state.sysctls[1]] });
  });
});

describe('state records', () => {
  it('writes ahead what a plan will add but forgets nothing before it ran', () => {
    const state: RealserverState = { version: 1, addresses: [{ family: 'inet', address: '10.0.0.8', prefix: 32, interface: 'lo' }], sysctls: [] };
    const plan = planUp(snapshot(), { vips: [v4('10.0.0.7')], interfaces: [], labels: false }, state);
    const ahead = writeAheadState(state, plan.steps);
    expect(ahead.addresses.map((a) => a.address)).toEqual(['10.0.0.8', '10.0.0.7']);
    expect(ahead.sysctls).toHaveLength(2);
    expect(stateAfter(state, plan.steps).addresses.map((a) => a.address)).toEqual(['10.0.0.7']);
  });

  it('replaces a record in place when a setting is recorded again', () => {
    const state: RealserverState = { version: 1, addresses: [], sysctls: [{ name: 'a/b', previous: '0', value: '1' }, { name: 'c/d', previous: '0', value: '2' }] };
    const next = stateAfter(state, [{ remember: { sysctl: { name: 'a/b', previous: '3', value: '1' } } }]);
    expect(next.sysctls).toEqual([{ name: 'a/b', previous: '3', value: '1' }, state.sysctls[1]]);
  });
});
