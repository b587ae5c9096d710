// Unit tests: the health monitor answers a reconcile pass's per-server questions by name, across reloads.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { HealthMonitor, ManualClock, type Probe } from '../../src/health/index.js';

const check = ' TCP_CHECK {\n  connect_port 80\n  connect_timeout 1\n  retry 0\n }\n';
const vs = (vip: string, servers: string[]) => `virtual_server ${vip} 80 {\n delay_loop 5\n protocol TCP\n quorum 2\n${servers.map((a) => ` real_server ${a} 80 {\n  weight 1\n${check} }\n`).join('')}}\n`;
const model = (text: string) => parseConfig('/c', memoryFs({ '/c': text })).model!;

describe('HealthMonitor lookups', () => {
  it('knows each real server and quorum by virtual server name, and follows a reload that drops and adds servers', async () => {
    const clock = new ManualClock(0);
    const probe: Probe = async (t) => (t.connectIp === '10.0.1.2' ? { ok: false, reason: 'ECONNREFUSED', latencyMs: 1 } : { ok: true, latencyMs: 1 });
    const m = new HealthMonitor(model(vs('10.0.0.1', ['10.0.1.1', '10.0.1.2']) + vs('10.0.0.2', ['10.0.1.1'])), { clock, probe, random: () => 0, scripts: false });
    m.start();
    await clock.advance(100);
    expect(m.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(true);
    expect(m.isUp('[10.0.0.1]:tcp:80', '10.0.1.2', 80)).toBe(false);
    expect(m.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 81)).toBeUndefined();
    expect(m.isUp('[10.0.0.9]:tcp:80', '10.0.1.1', 80)).toBeUndefined();
    expect(m.quorumUp('[10.0.0.1]:tcp:80')).toBe(false);
    expect(m.quorumUp('[10.0.0.2]:tcp:80')).toBe(m.status().find((v) => v.name === '[10.0.0.2]:tcp:80')!.quorumUp);
    m.update(model(vs('10.0.0.2', ['10.0.1.1', '10.0.1.3']) + vs('10.0.0.3', ['10.0.1.2'])));
    await clock.advance(6000);
    expect(m.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBeUndefined();
    expect(m.isUp('[10.0.0.2]:tcp:80', '10.0.1.3', 80)).toBe(true);
    expect(m.quorumUp('[10.0.0.2]:tcp:80')).toBe(m.status().find((v) => v.name === '[10.0.0.2]:tcp:80')!.quorumUp);
    expect(m.quorumUp('[10.0.0.1]:tcp:80')).toBeUndefined();
    expect(m.isUp('[10.0.0.3]:tcp:80', '10.0.1.2', 80)).toBe(false);
    await m.stop();
  });
});
