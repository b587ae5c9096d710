// Unit tests: vrrp_script rise/fall counting and the effect of tracked scripts and interfaces on an instance (keepalived's rules).
import { describe, expect, it } from 'vitest';
import { initialScriptState, scriptResult, summarizeTracking, trackedEffect, trackingEvents, type ScriptState, type TrackStatus } from '../../src/vrrp/script-tracker.js';

/** run feeds results ('+' success, '-' failure) and returns the verdict after each, marking flips with '!'. */
function run(rise: number, fall: number, results: string, initFail = false): string[] {
  let s: ScriptState = initialScriptState({ rise, fall, initFail });
  return [...results].map((c) => {
    const r = scriptResult(s, c === '+');
    s = r.state;
    return `${s.status}${r.changed ? '!' : ''}`;
  });
}

describe('vrrp_script rise and fall', () => {
  it('one result decides a script that has not run yet', () => {
    expect(run(2, 2, '+')).toEqual(['ok!']);
    expect(run(2, 2, '-')).toEqual(['failed!']);
  });

  it('an OK script fails after `fall` consecutive failures', () => {
    expect(run(2, 2, '+--')).toEqual(['ok!', 'ok', 'failed!']);
    expect(run(1, 3, '+---')).toEqual(['ok!', 'ok', 'ok', 'failed!']);
  });

  it('a failed script recovers after `rise` consecutive successes', () => {
    expect(run(2, 2, '-++')).toEqual(['failed!', 'failed', 'ok!']);
    expect(run(3, 1, '-+-+++')).toEqual(['failed!', 'failed', 'failed', 'failed', 'failed', 'ok!']);
  });

  it('a success while OK refills the fall budget', () => {
    expect(run(2, 2, '+-+-+-')).toEqual(['ok!', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('init_fail starts failed and needs `rise` successes', () => {
    expect(initialScriptState({ rise: 2, fall: 2, initFail: true }).status).toBe('failed');
    expect(run(2, 2, '-++', true)).toEqual(['failed', 'failed', 'ok!']);
  });
});

describe('tracking effects', () => {
  it.each([
    // [status, weight, reverse, priority contribution, fault]
    ['ok', 20, false, 20, false],
    ['failed', 20, false, 0, false],
    ['ok', -30, false, 0, false],
    ['failed', -30, false, -30, false],
    ['ok', 20, true, -20, false],
    ['failed', -30, true, 30, false],
    ['unknown', -30, false, 0, false],
    ['ok', 0, false, 0, false],
    ['failed', 0, false, 0, true],
    ['ok', 0, true, 0, true],
    ['unknown', 0, false, 0, true],
  ] as [TrackStatus, number, boolean, number, boolean][])('%s with weight %i (reverse %s) adds %i, fault %s', (status, weight, reverse, add, fault) => {
    expect(trackedEffect(status, { weight, reverse })).toEqual({ weight: add, fault });
  });

  it('an instance sums its tracked weights and lists its faults; the change becomes state machine events', () => {
    const before = summarizeTracking([
      { source: 'script:chk_nginx', tracked: { weight: -30, reverse: false }, status: 'ok' },
      { source: 'interface:eth1', tracked: { weight: 0, reverse: false }, status: 'ok' },
      { source: 'script:bonus', tracked: { weight: 2, reverse: false }, status: 'ok' },
    ]);
    expect(before).toEqual({ weight: 2, faults: [] });
    const after = summarizeTracking([
      { source: 'script:chk_nginx', tracked: { weight: -30, reverse: false }, status: 'failed' },
      { source: 'interface:eth1', tracked: { weight: 0, reverse: false }, status: 'failed' },
      { source: 'script:bonus', tracked: { weight: 2, reverse: false }, status: 'ok' },
    ]);
    expect(after).toEqual({ weight: -28, faults: ['interface:eth1'] });
    expect(trackingEvents(before, after)).toEqual([
      { kind: 'priority-changed', weight: -28 },
      { kind: 'fault', source: 'interface:eth1' },
    ]);
    expect(trackingEvents(after, before)).toEqual([
      { kind: 'priority-changed', weight: 2 },
      { kind: 'fault-cleared', source: 'interface:eth1' },
    ]);
    expect(trackingEvents(after, after)).toEqual([]);
  });
});
