// Unit tests: indexHealth answers as the health monitor does, from one status snapshot (a pass asks per real server).
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import type { VirtualServerStatus } from '../../src/health/events.js';
import { HealthMonitor, ManualClock, type Probe } from '../../src/health/index.js';
import { indexHealth } from '../../src/reconcile/index.js';

const check = ' TCP_CHECK {\n  connect_port 80\n  connect_timeout 1\n  retry 0\n }\n';
const CONF = ['10.0.0.1', '10.0.0.2'].map((v) => `virtual_server ${v} 80 {\n delay_loop 5\n protocol TCP\n quorum 2\n real_server 10.0.1.1 80 {\n  weight 1\n${check} }\n real_server 10.0.1.2 80 {\n  weight 1\n${check} }\n}\n`).join('');

const rs = (address: string, state: 'up' | 'down') => ({ address, port: 80, weight: 1, inhibitOnFailure: false, state, since: 0, reason: '', checks: [] });

describe('indexHealth', () => {
  it('answers as the monitor does for every real server and quorum, after a failure', async () => {
    const model = parseConfig('/c', memoryFs({ '/c': CONF })).model!;
    const clock = new ManualClock(0);
    const probe: Probe = async (t) => (t.connectIp === '10.0.1.2' ? { ok: false, reason: 'ECONNREFUSED', latencyMs: 1 } : { ok: true, latencyMs: 1 });
    const m = new HealthMonitor(model, { clock, probe, random: () => 0, scripts: false });
    m.start();
    await clock.advance(100);
    const seen = indexHealth(m.status());
    let downs = 0;
    for (const vs of model.virtualServers) {
      expect(seen.quorumUp(vs.name)).toBe(m.quorumUp(vs.name));
      for (const r of vs.realServers) {
        const want = m.isUp(vs.name, r.address, r.port) === false ? 'down' : 'up';
        expect(seen.health(vs, r)).toBe(want);
        if (want === 'down') downs++;
      }
    }
    expect(downs).toBe(2);
    await m.stop();
  });

  it('takes the first virtual server of a name, and calls unknown servers up and unknown quorums undefined', () => {
    const status: VirtualServerStatus[] = [
      { name: 'a', quorumUp: false, aliveWeight: 0, realServers: [rs('10.0.1.1', 'down')] },
      { name: 'a', quorumUp: true, aliveWeight: 1, realServers: [rs('10.0.1.1', 'up'), rs('10.0.1.2', 'down')] },
    ];
    const seen = indexHealth(status);
    const vs = { name: 'a' } as never;
    expect(seen.health(vs, { address: '10.0.1.1', port: 80 } as never)).toBe('down');
    expect(seen.health(vs, { address: '10.0.1.2', port: 80 } as never)).toBe('up');
    expect(seen.health(vs, { address: '10.0.1.1', port: 81 } as never)).toBe('up');
    expect(seen.quorumUp('a')).toBe(false);
    expect(seen.quorumUp('b')).toBeUndefined();
  });
});
