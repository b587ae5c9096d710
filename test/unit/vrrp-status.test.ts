// Unit tests: the VRRP section of `lvsd status`.
import { describe, expect, it } from 'vitest';
import { renderVrrpStatus } from '../../src/vrrp/status.js';
import type { InstanceStatus } from '../../src/vrrp/manager.js';

const NOW = 1_800_000_000_000;

describe('renderVrrpStatus', () => {
  it('prints one line per instance with its state, priority, master and counters', () => {
    const text = renderVrrpStatus([
      { name: 'VI_1', state: 'MASTER', priority: 100, master: '192.168.56.121', counters: { sent: 12, sendErrors: 0, received: 3, dropped: { ttl: 2, checksum: 1 } } },
      { name: 'VI_2', state: 'BACKUP', priority: 80, counters: { sent: 0, sendErrors: 0, received: 40, dropped: {} } },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^VI_1\s+MASTER\s+100\s+192\.168\.56\.121\s+12\s+3\s+3$/);
    expect(lines[2]).toMatch(/^VI_2\s+BACKUP\s+80\s+-\s+0\s+40\s+0$/);
  });

  it('prints nothing when the daemon runs no VRRP instance', () => {
    expect(renderVrrpStatus([])).toBe('');
  });

  it('details base and effective priority, the master heard with its priority and last advert, the intervals and the next deadline', () => {
    const row: InstanceStatus = {
      name: 'VI_2',
      state: 'BACKUP',
      priority: 70,
      vrid: 52,
      basePriority: 80,
      effectivePriority: 70,
      master: '192.168.56.122',
      masterPriority: 100,
      lastAdvertAt: NOW - 400,
      timers: { advertIntervalMs: 1000, masterAdverIntervalMs: 1000, masterDownIntervalMs: 3726.5625, next: { timer: 'master-down', at: NOW + 3300 } },
      splitBrain: false,
      counters: { sent: 0, sendErrors: 0, received: 9, dropped: {} },
    };
    const lines = renderVrrpStatus([row], NOW).trimEnd().split('\n');
    expect(lines[3]).toMatch(/^VRRP Instance\s+VRID\s+Base\s+Eff\s+Heard master \(prio\)\s+Last advert\s+Advert\s+Down\s+Next$/);
    expect(lines[4]).toMatch(/^VI_2\s+52\s+80\s+70\s+192\.168\.56\.122 \(100\)\s+0\.4s ago\s+1000ms\s+3727ms\s+master-down in 3\.3s$/);
    expect(lines).toHaveLength(5);
  });

  it('reports a split brain with the other master, since when, and why its adverts do not count', () => {
    const base = { state: 'MASTER' as const, priority: 100, basePriority: 100, counters: { sent: 50, sendErrors: 0, received: 0, dropped: { auth: 12 } } };
    const text = renderVrrpStatus(
      [
        { ...base, name: 'VI_1', splitBrain: true, splitBrainSince: NOW - 12_000, splitBrainPeer: { address: '192.168.56.122', priority: 80, accepted: false, reason: 'auth' } },
        { ...base, name: 'VI_3', splitBrain: true, splitBrainSince: NOW - 4000, splitBrainPeer: { address: '10.0.0.9', priority: 90, accepted: true } },
        { ...base, name: 'VI_2', splitBrain: false },
      ],
      NOW,
    );
    expect(text).toContain('SPLIT BRAIN VI_1 for 12s: 192.168.56.122 (priority 80) is Master too and its adverts are dropped here (auth)\n');
    expect(text).toContain('SPLIT BRAIN VI_3 for 4.0s: 10.0.0.9 (priority 90) is Master too\n');
    expect(text).not.toContain('SPLIT BRAIN VI_2');
  });
});
