import { describe, expect, it } from 'vitest';
import { advertPhase } from '../../bench/failover-lab.js';

const line = (s: string) => `${s} IP 192.168.56.121 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype none, intvl 1s, length 20`;

describe('failover benchmark: advert phase', () => {
  it('is the time from the last advert heard to the failure', () => {
    const out = ['tcpdump: listening on eth0', line('1765000000.100000'), line('1765000001.100250'), ''].join('\n');
    expect(advertPhase(out, 1765000001_900)).toBe(800);
    expect(advertPhase(out, 1765000001_101)).toBe(1);
  });

  it('counts an advert stamped after the failure began as a negative phase: it was sent before the failure took effect', () => {
    const out = [line('1765000001.000000'), line('1765000002.000000')].join('\n');
    expect(advertPhase(out, 1765000001_990)).toBe(-10);
  });

  it('is undefined when no advert was heard', () => {
    expect(advertPhase('tcpdump: listening on eth0\n', 1765000001_000)).toBeUndefined();
  });
});
