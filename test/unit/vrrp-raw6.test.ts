// Unit tests: the IPv6 VRRP socket edge (src/vrrp/io/raw6.ts) over a fake addon — framing recvmsg results for the validator, hop limit and source per packet, draining, errors.
import { describe, expect, it } from 'vitest';
import { addressToBytes } from '../../src/util/addr.js';
import type { InboundPacket } from '../../src/vrrp/ip.js';
import { inboundFromRaw6, ipv6Bytes, MAX_BURST, Raw6Error, VrrpSocket6, type Raw6Addon, type Raw6Message } from '../../src/vrrp/io/raw6.js';
import { encode } from '../../src/vrrp/packet.js';
import { validate, type ValidationContext } from '../../src/vrrp/validate.js';

const LL1 = 'fe80::1:121';
const GROUP = 'ff02::12';
const VIP = '2001:db8:56::131';

const ctx: ValidationContext = {
  vrid: 61,
  version: 3,
  family: 'inet6',
  advertIntervalMs: 1000,
  virtualAddresses: [VIP],
  checkAddresses: true,
  unicastPeers: [],
  checkUnicastSource: false,
};

function advert(checksumDestination = GROUP): Buffer {
  return encode({ version: 3, vrid: 61, priority: 100, family: 'inet6', addresses: [VIP], maxAdvertInterval: 100 }, { source: LL1, destination: checksumDestination });
}

function message(o: Partial<Raw6Message> = {}): Raw6Message {
  return { data: advert(), source: addressToBytes('inet6', LL1), destination: addressToBytes('inet6', GROUP), hopLimit: 255, ifindex: 2, truncated: false, ...o };
}

class FakeAddon implements Raw6Addon {
  readonly calls: string[] = [];
  readonly sent: { payload: Buffer; destination: Buffer; ifindex: number; source: Buffer | null; hopLimit: number }[] = [];
  queue: (Raw6Message | Error)[] = [];
  batch = 32;
  recvCalls = 0;
  onReadable: ((error: string | null) => void) | undefined;
  joinError: Error | undefined;
  sendError: Error | undefined;
  open6(ifindex: number): number {
    this.calls.push(`open6 ${ifindex}`);
    return 7;
  }
  join6(fd: number, group: Buffer, ifindex: number): void {
    this.calls.push(`join6 ${fd} ${group.toString('hex')} ${ifindex}`);
    if (this.joinError) throw this.joinError;
  }
  send6(fd: number, payload: Buffer, destination: Buffer, ifindex: number, source: Buffer | null, hopLimit: number): number {
    if (this.sendError) throw this.sendError;
    this.sent.push({ payload, destination, ifindex, source, hopLimit });
    return payload.length;
  }
  recv6(): Raw6Message[] {
    this.recvCalls++;
    if (this.queue[0] instanceof Error) throw this.queue.shift();
    const n = this.queue.findIndex((m) => m instanceof Error);
    return this.queue.splice(0, Math.min(this.batch, n === -1 ? this.queue.length : n)) as Raw6Message[];
  }
  watch6(fd: number, onReadable: (error: string | null) => void): object {
    this.calls.push(`watch6 ${fd}`);
    this.onReadable = onReadable;
    return { fd };
  }
  unwatch6(): void {
    this.calls.push('unwatch6');
  }
  close6(fd: number): void {
    this.calls.push(`close6 ${fd}`);
  }
}

const sysError = (code: string): Error => Object.assign(new Error(`setsockopt(IPV6_JOIN_GROUP): ${code}`), { code });

function open(addon: FakeAddon, groups: string[] = [GROUP]) {
  const packets: InboundPacket[] = [];
  const errors: Error[] = [];
  const sock = new VrrpSocket6({ device: 'eth0', ifindex: 2, groups }, (p) => packets.push(p), (e) => errors.push(e), addon);
  return { sock, packets, errors };
}

describe('inboundFromRaw6', () => {
  it('frames a received message with its source, destination and hop limit for the validator', () => {
    const r = inboundFromRaw6(message());
    expect(r).toMatchObject({ ok: true, packet: { family: 'inet6', source: LL1, destination: GROUP, ttl: 255, offset: 0 } });
    if (!r.ok) throw new Error(r.detail);
    expect(validate(r.packet, ctx)).toMatchObject({ ok: true, advert: { vrid: 61, priority: 100, addresses: [VIP] } });
  });

  it('a multicast advert whose hop limit is not 255 is dropped by the validator (RFC 5798 §7.1)', () => {
    for (const hopLimit of [254, 64, 1]) {
      const r = inboundFromRaw6(message({ hopLimit }));
      if (!r.ok) throw new Error(r.detail);
      expect(validate(r.packet, ctx)).toMatchObject({ ok: false, reason: 'ttl' });
    }
  });

  it('the checksum covers the IPv6 pseudo-header: an advert summed for another destination fails it', () => {
    const r = inboundFromRaw6(message({ data: advert('ff02::1') }));
    if (!r.ok) throw new Error(r.detail);
    expect(validate(r.packet, ctx)).toMatchObject({ ok: false, reason: 'checksum' });
  });

  it('refuses a message without hop limit or destination, or truncated, rather than skip those checks', () => {
    expect(inboundFromRaw6(message({ hopLimit: -1 }))).toMatchObject({ ok: false, detail: expect.stringContaining('IPV6_HOPLIMIT') });
    expect(inboundFromRaw6(message({ destination: null }))).toMatchObject({ ok: false, detail: expect.stringContaining('IPV6_PKTINFO') });
    expect(inboundFromRaw6(message({ truncated: true }))).toMatchObject({ ok: false });
    expect(inboundFromRaw6(message({ source: Buffer.alloc(4) }))).toMatchObject({ ok: false });
  });
});

describe('VrrpSocket6', () => {
  it('opens on the interface, joins ff02::12 there and starts polling', () => {
    const addon = new FakeAddon();
    open(addon);
    expect(addon.calls).toEqual(['open6 2', `join6 7 ${'ff02' + '0'.repeat(26) + '12'} 2`, 'watch6 7']);
  });

  it('treats joining a group twice as done, but any other join failure as an error that closes the socket', () => {
    const addon = new FakeAddon();
    const { sock } = open(addon, []);
    addon.joinError = sysError('EADDRINUSE');
    expect(() => sock.join(GROUP)).not.toThrow();
    addon.joinError = sysError('ENODEV');
    expect(() => sock.join(GROUP)).toThrow(/ENODEV/);
    const failing = new FakeAddon();
    failing.joinError = sysError('ENODEV');
    expect(() => open(failing)).toThrow(/ENODEV/);
    expect(failing.calls.at(-1)).toBe('close6 7');
  });

  it('sends from the given source out of its interface with hop limit 255 unless told otherwise', async () => {
    const addon = new FakeAddon();
    const { sock } = open(addon);
    const msg = advert();
    expect(await sock.send(msg, LL1, GROUP)).toBeUndefined();
    expect(await sock.send(msg, LL1, '2001:db8:56::122', 64)).toBeUndefined();
    expect(addon.sent.map((s) => [s.destination.toString('hex'), s.ifindex, s.source?.toString('hex'), s.hopLimit])).toEqual([
      [ipv6Bytes(GROUP).toString('hex'), 2, ipv6Bytes(LL1).toString('hex'), 255],
      [ipv6Bytes('2001:db8:56::122').toString('hex'), 2, ipv6Bytes(LL1).toString('hex'), 64],
    ]);
    expect(addon.sent[0]!.payload).toBe(msg);
  });

  it('resolves a send failure or a bad address as an error instead of throwing', async () => {
    const addon = new FakeAddon();
    const { sock } = open(addon);
    addon.sendError = Object.assign(new Error('sendmsg(IPv6 VRRP): Invalid argument'), { code: 'EINVAL' });
    expect(await sock.send(advert(), LL1, GROUP)).toMatchObject({ code: 'EINVAL' });
    addon.sendError = undefined;
    const bad = await sock.send(advert(), '192.168.56.121', GROUP);
    expect(bad).toBeInstanceOf(Raw6Error);
    expect(bad).toMatchObject({ code: 'RAW6_BAD_ADDRESS' });
    expect(addon.sent).toHaveLength(0);
  });

  it('hands on every queued message when readable, counting unusable ones as malformed', () => {
    const addon = new FakeAddon();
    const { sock, packets } = open(addon);
    addon.queue = [message(), message({ destination: null }), message({ hopLimit: 254 })];
    addon.onReadable!(null);
    expect(packets.map((p) => p.ttl)).toEqual([255, 254]);
    expect(sock.malformed).toBe(1);
  });

  it('takes messages in batches and at most MAX_BURST per readable event, so a flood cannot hold the event loop', () => {
    const addon = new FakeAddon();
    const { packets } = open(addon);
    addon.queue = Array.from({ length: MAX_BURST + 5 }, () => message());
    addon.onReadable!(null);
    expect(packets).toHaveLength(MAX_BURST);
    expect(addon.recvCalls).toBe(MAX_BURST / addon.batch);
    addon.onReadable!(null);
    expect(packets).toHaveLength(MAX_BURST + 5);
    // the second event stopped at the first empty batch
    expect(addon.recvCalls).toBe(MAX_BURST / addon.batch + 2);
  });

  it('reports poll and receive errors with their codes and keeps running', () => {
    const addon = new FakeAddon();
    const { packets, errors } = open(addon);
    addon.onReadable!('EBADF');
    addon.queue = [Object.assign(new Error('recvmsg(IPv6 VRRP): No buffer space available'), { code: 'ENOBUFS' })];
    addon.onReadable!(null);
    addon.queue = [message()];
    addon.onReadable!(null);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['EBADF', 'ENOBUFS']);
    expect(packets).toHaveLength(1);
  });

  it('close stops polling before closing the socket, once, and later events and sends do nothing', async () => {
    const addon = new FakeAddon();
    const { sock, packets } = open(addon);
    sock.close();
    sock.close();
    expect(addon.calls.slice(-2)).toEqual(['unwatch6', 'close6 7']);
    expect(addon.calls.filter((c) => c === 'close6 7')).toHaveLength(1);
    addon.queue = [message()];
    addon.onReadable!(null);
    expect(packets).toHaveLength(0);
    expect(await sock.send(advert(), LL1, GROUP)).toBeInstanceOf(Error);
  });
});
