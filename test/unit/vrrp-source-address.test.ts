// Unit tests: IPv6 address events decoded from rtnetlink bytes (golden messages laid out per the uapi headers), the address table, a source's state, and an IPv6 instance held in FAULT while its source is tentative.
import { describe, expect, it } from 'vitest';
import { testFsmConfig } from '../support/vrrp.js';
import { splitMessages } from '../../src/netlink/message.js';
import { initialState, step, TIMER_EVENTS, type FsmState, type TimerKind } from '../../src/vrrp/fsm.js';
import { summarizeTracking, trackingEvents } from '../../src/vrrp/script-tracker.js';
import { addrState, addrTable, applyAddrEvent, decodeAddrEvent, sourceState, type AddrTable } from '../../src/vrrp/source-address.js';

/** hex is a golden message: spaces and comments (after #) are for reading only. */
const hex = (s: string) => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
const one = (buf: Buffer) => decodeAddrEvent(buf, splitMessages(buf)[0]!);

/** RTM_NEWADDR of fe80::1/64 on ifindex 2, link scope, tentative and permanent (0xc0) in the header and in IFA_FLAGS. */
const NEWADDR_TENTATIVE = hex(`
  34000000 1400 0000 01000000 00000000   # nlmsghdr: len 52, RTM_NEWADDR (20), flags 0, seq 1, pid 0
  0a 40 c0 fd 02000000                  # ifaddrmsg: AF_INET6, /64, IFA_F_TENTATIVE|IFA_F_PERMANENT, RT_SCOPE_LINK, ifindex 2
  1400 0100 fe800000000000000000000000000001   # IFA_ADDRESS fe80::1
  0800 0800 c0000000                    # IFA_FLAGS 0xc0
`);
/** the same address once DAD is over: the kernel announces it again without IFA_F_TENTATIVE. */
const NEWADDR_USABLE = hex(`
  34000000 1400 0000 02000000 00000000
  0a 40 80 fd 02000000
  1400 0100 fe800000000000000000000000000001
  0800 0800 80000000
`);
/** DAD failed: IFA_FLAGS carries a bit above 0xff (IFA_F_STABLE_PRIVACY 0x800) and IFA_F_DADFAILED|IFA_F_TENTATIVE; the header byte is stale (0). */
const NEWADDR_DADFAILED = hex(`
  34000000 1400 0000 03000000 00000000
  0a 40 00 fd 02000000
  1400 0100 fe800000000000000000000000000001
  0800 0800 48080000
`);
/** RTM_DELADDR (21) with no IFA_FLAGS: the header byte is the flags. */
const DELADDR = hex(`
  2c000000 1500 0000 04000000 00000000
  0a 40 80 fd 02000000
  1400 0100 fe800000000000000000000000000001
`);
/** an IPv4 address (AF_INET) is not an IPv6 event. */
const NEWADDR_V4 = hex(`
  20000000 1400 0000 05000000 00000000
  02 18 80 00 02000000
  0800 0200 c0a83879
`);

describe('decodeAddrEvent (golden rtnetlink messages)', () => {
  it('reads address, interface and IFA_FLAGS of RTM_NEWADDR, and the header byte when IFA_FLAGS is absent', () => {
    expect(one(NEWADDR_TENTATIVE)).toEqual({ kind: 'new', index: 2, address: 'fe80::1', flags: 0xc0 });
    expect(one(NEWADDR_USABLE)).toEqual({ kind: 'new', index: 2, address: 'fe80::1', flags: 0x80 });
    expect(one(NEWADDR_DADFAILED)).toEqual({ kind: 'new', index: 2, address: 'fe80::1', flags: 0x848 });
    expect(one(DELADDR)).toEqual({ kind: 'del', index: 2, address: 'fe80::1', flags: 0x80 });
  });

  it('ignores IPv4 addresses and other message types', () => {
    expect(one(NEWADDR_V4)).toBeUndefined();
    const link = Buffer.from(NEWADDR_USABLE);
    link.writeUInt16LE(16, 4); // RTM_NEWLINK
    expect(one(link)).toBeUndefined();
  });
});

describe('addrState and sourceState', () => {
  it('a tentative or DAD-failed address is not usable; an optimistic one is', () => {
    expect([addrState(0x80), addrState(0xc0), addrState(0x848), addrState(0x44), addrState(0x4c)]).toEqual(['usable', 'tentative', 'dadfailed', 'usable', 'dadfailed']);
  });

  it('a link-local source counts only on its own interface; a global one on any, in any textual form', () => {
    const t = addrTable([
      { index: 2, address: 'fe80::1', flags: 0xc0 },
      { index: 3, address: 'fe80::1', flags: 0x80 },
      { index: 3, address: '2001:db8::121', flags: 0x80 },
    ]);
    expect(sourceState(t, 'fe80::1', 2)).toBe('tentative');
    expect(sourceState(t, 'fe80::1', 3)).toBe('usable');
    expect(sourceState(t, 'fe80::1', 4)).toBe('missing');
    expect(sourceState(t, '2001:DB8:0::121', 2)).toBe('usable');
    expect(sourceState(t, '2001:db8::122', 2)).toBe('missing');
    expect(sourceState(t, '10.0.0.1', 2)).toBe('missing');
  });

  it('events move an address through missing, tentative and usable, leaving the previous table untouched', () => {
    let t: AddrTable = addrTable([]);
    const seen: string[] = [];
    for (const buf of [NEWADDR_TENTATIVE, NEWADDR_USABLE, DELADDR, NEWADDR_DADFAILED]) {
      const r = applyAddrEvent(t, one(buf)!);
      seen.push(`${r.before}->${r.after}`);
      expect(r.table).not.toBe(t);
      t = r.table;
    }
    expect(seen).toEqual(['missing->tentative', 'tentative->usable', 'usable->missing', 'missing->dadfailed']);
    expect(sourceState(t, 'fe80::1', 2)).toBe('dadfailed');
  });
});

describe('an IPv6 instance and its source address', () => {
  const cfg = testFsmConfig({ version: 3, basePriority: 100, initialState: 'MASTER' });
  const SRC = { source: 'address:fe80::1', tracked: { weight: 0, reverse: false } } as const;
  const IF = { source: 'interface:eth0', tracked: { weight: 0, reverse: false } } as const;
  const summary = (link: boolean, addr: boolean) => summarizeTracking([{ ...IF, status: link ? 'ok' : 'failed' }, { ...SRC, status: addr ? 'ok' : 'failed' }]);

  /** run fires the instance's timers due up to `to`, in time order. */
  function run(s: FsmState, to: number): FsmState {
    for (;;) {
      const due = (Object.entries(s.timers) as [TimerKind, number][]).filter(([, at]) => at <= to).sort((a, b) => a[1] - b[1])[0];
      if (!due) return s;
      s = step(s, TIMER_EVENTS[due[0]], due[1]).state;
    }
  }

  it('stays in FAULT after the link comes up while the link-local source is tentative, then follows the link-up rules', () => {
    let s = step(initialState(cfg), { kind: 'startup' }, 0).state;
    s = run(s, 5000);
    expect(s.state).toBe('MASTER');
    let prev = summary(true, true);
    const apply = (next: ReturnType<typeof summary>, at: number) => {
      for (const e of trackingEvents(prev, next)) s = step(s, e, at).state;
      prev = next;
    };
    apply(summary(false, false), 6000); // link down: the kernel removes the link-local address
    expect(s.state).toBe('FAULT');
    apply(summary(true, false), 7000); // link up, fe80::1 tentative (DAD)
    expect(s.state).toBe('FAULT');
    s = run(s, 8500);
    expect(s.state).toBe('FAULT'); // no timer takes it out of FAULT
    apply(summary(true, true), 8500); // DAD over
    expect(s.state).toBe('BACKUP');
    expect(s.timers['master-down']).toBeGreaterThan(8500 + 3000); // RFC 5798: a Backup waits Master_Down_Interval before Master
    s = run(s, 8500 + 4000);
    expect(s.state).toBe('MASTER');
  });

  it('a DAD failure holds the instance in FAULT for good', () => {
    let s = step(initialState(cfg, 0, ['address:fe80::1']), { kind: 'startup' }, 0).state;
    expect(s.state).toBe('FAULT');
    s = run(s, 60_000);
    expect(s.state).toBe('FAULT');
  });
});
