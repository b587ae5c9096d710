// Unit tests: split-brain detection — which packets count as another Master, and when two Masters are reported and cleared.
import { describe, expect, it } from 'vitest';
import { NO_SPLIT_BRAIN, peerAdvert, splitBrainLog, splitBrainStep, type PeerAdvert, type SplitBrainState } from '../../src/vrrp/split-brain.js';
import { encode, passwordData } from '../../src/vrrp/packet.js';
import { validate, type ValidationContext } from '../../src/vrrp/validate.js';
import type { InboundPacket } from '../../src/vrrp/ip.js';

const CTX: ValidationContext = { vrid: 51, version: 2, family: 'inet', auth: { type: 'PASS', password: '1111' }, advertIntervalMs: 1000, virtualAddresses: ['192.168.56.131'], checkAddresses: true, unicastPeers: [], checkUnicastSource: false };

function packet(o: { pass?: string; priority?: number; ttl?: number; corrupt?: boolean; source?: string } = {}): InboundPacket {
  const data = encode({ version: 2, vrid: 51, priority: o.priority ?? 80, family: 'inet', addresses: ['192.168.56.131'], authType: 1, advertInterval: 1, authData: passwordData(o.pass ?? '1111') });
  if (o.corrupt) data[7] = (data[7] as number) ^ 0xff;
  return { family: 'inet', source: o.source ?? '192.168.56.122', destination: '224.0.0.18', ttl: o.ttl ?? 255, data, offset: 0, end: data.length };
}
const peerOf = (p: InboundPacket) => peerAdvert(p, validate(p, CTX), '192.168.56.121');

describe('peerAdvert', () => {
  it('counts an accepted advert and one dropped for a different password', () => {
    expect(peerOf(packet())).toEqual({ address: '192.168.56.122', priority: 80, accepted: true });
    expect(peerOf(packet({ pass: '2222', priority: 120 }))).toEqual({ address: '192.168.56.122', priority: 120, accepted: false, reason: 'auth' });
  });

  it('ignores priority 0, our own adverts, a wrong TTL and a corrupt checksum (a forged or broken packet is no Master)', () => {
    expect(peerOf(packet({ priority: 0 }))).toBeUndefined();
    expect(peerOf(packet({ source: '192.168.56.121' }))).toBeUndefined();
    expect(peerOf(packet({ pass: '2222', ttl: 64 }))).toBeUndefined();
    expect(peerOf(packet({ pass: '2222', corrupt: true }))).toBeUndefined();
  });
});

describe('splitBrainStep', () => {
  const peer: PeerAdvert = { address: '192.168.56.122', priority: 120, accepted: false, reason: 'auth' };
  /** run feeds one advert per second from `from` to `to` (ms) while in `state` and returns the events with their times. */
  function run(s: SplitBrainState, state: 'MASTER' | 'BACKUP', from: number, to: number, heard: PeerAdvert | undefined = peer) {
    const events: [number, string][] = [];
    for (let t = from; t <= to; t += 1000) {
      const r = splitBrainStep(s, state, 1000, t, heard);
      s = r.state;
      if (r.event) events.push([t, r.event.kind]);
    }
    return { s, events };
  }

  it('reports two Masters once they have lasted more than 3 advert intervals, once only', () => {
    const { s, events } = run(NO_SPLIT_BRAIN, 'MASTER', 0, 10_000);
    expect(events).toEqual([[4000, 'split-brain']]);
    expect(s).toMatchObject({ active: true, since: 4000, peer: { address: '192.168.56.122', priority: 120 } });
  });

  it('does not report a Master that steps down within 3 intervals (an ordinary preemption)', () => {
    const { events, s } = run(NO_SPLIT_BRAIN, 'MASTER', 0, 2000);
    expect(events).toEqual([]);
    // silent for more than 3 intervals: forgotten
    expect(splitBrainStep(s, 'MASTER', 1000, 5001).state.peer).toBeUndefined();
  });

  it('never reports while we are Backup', () => {
    expect(run(NO_SPLIT_BRAIN, 'BACKUP', 0, 10_000).events).toEqual([]);
  });

  it('clears once when the other goes silent or when we step down', () => {
    const { s } = run(NO_SPLIT_BRAIN, 'MASTER', 0, 5000);
    const quiet = splitBrainStep(s, 'MASTER', 1000, 8001);
    expect(quiet.event).toEqual({ kind: 'split-brain-cleared', peer, durationMs: 4001 });
    expect(splitBrainStep(quiet.state, 'MASTER', 1000, 9000).event).toBeUndefined();
    expect(splitBrainStep(s, 'BACKUP', 1000, 5500).event).toMatchObject({ kind: 'split-brain-cleared' });
  });
});

describe('splitBrainLog', () => {
  it('warns once with the peer and what to check, and logs the end with its duration', () => {
    const start = splitBrainLog('VI_1', 51, { kind: 'split-brain', peer: { address: '192.168.56.122', priority: 80, accepted: false, reason: 'auth' } });
    expect(start.level).toBe('warn');
    expect(start.fields).toEqual({ event: 'split-brain', instance: 'VI_1', vrid: 51, peer: '192.168.56.122', peerPriority: 80, peerAccepted: false, peerDropReason: 'auth' });
    expect(start.message).toBe('VI_1: split brain: 192.168.56.122 (priority 80) is Master for VRID 51 too; its adverts are dropped here (auth): check that both sides have the same settings');
    const end = splitBrainLog('VI_1', 51, { kind: 'split-brain-cleared', peer: undefined, durationMs: 4000.4 });
    expect(end).toMatchObject({ level: 'info', fields: { event: 'split-brain-cleared', durationMs: 4000 }, message: 'VI_1: split brain over after 4000 ms' });
  });
});
