// Unit tests: the VRRP section of `lvsd status`.
import { describe, expect, it } from 'vitest';
import { renderVrrpStatus } from '../../src/vrrp/status.js';

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
});
