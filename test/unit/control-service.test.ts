// Unit tests: the daemon side of drain/disable/enable — overrides saved, applied by the Director's reconcile pass
// on a fake IPVS kernel, kept across reloads and restarts, logged as events; status and connection counts.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import type { Model } from '../../src/config/model.js';
import { ControlError } from '../../src/control/errors.js';
import { ControlService } from '../../src/control/service.js';
import { memoryOverrideStore } from '../../src/control/state.js';
import { Director } from '../../src/daemon/director.js';
import { ManualClock, type Probe } from '../../src/health/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';

const rs = (addr: string) => `    real_server ${addr} 80 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n`;
const conf = (...servers: string[]) => `virtual_server 192.168.56.131 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n${servers.map(rs).join('')}}\n`;
const BOTH = conf('192.168.56.101', '192.168.56.102');
const NOW = Date.parse('2026-11-22T07:00:00Z');

function model(text: string): Model {
  const r = parseConfig('/etc/lvsd.conf', memoryFs({ '/etc/lvsd.conf': text }));
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.model;
}

async function world(store = memoryOverrideStore(), text = BOTH, kernel = new FakeIpvsKernel()) {
  const client = await IpvsClient.open(kernel);
  const clock = new ManualClock(NOW);
  const probe: Probe = async () => ({ ok: true, latencyMs: 1 });
  const lines: { event?: string; vs?: string; rs?: string; mode?: string; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const service = new ControlService({ model: model(text), store, ipvs: client, log, now: () => NOW });
  const director = new Director(model(text), client, log, { resyncMs: 3_600_000, overrides: () => service.overrideFn(), health: { clock, probe, random: () => 0, scripts: false } });
  await director.start();
  service.attach(director);
  const dests = () => kernel.snapshot()[0]?.dests.map((d) => `${d.address}:${d.weight}`).sort() ?? [];
  return { kernel, client, service, director, store, lines, dests };
}

const target = { vs: '192.168.56.131:80', protocol: 'tcp' as const, rs: '192.168.56.101:80' };

describe('control service: overrides through the reconciler', () => {
  it('drain sets weight 0 and keeps the server in the table; the reply shows the table after the pass', async () => {
    const w = await world();
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    const r = await w.service.handle({ op: 'drain', ...target });
    expect(w.dests()).toEqual(['192.168.56.101:0', '192.168.56.102:1']);
    expect(r).toMatchObject({ op: 'drain', vs: '[192.168.56.131]:tcp:80', rs: '192.168.56.101:80', mode: 'drain', previous: null, changed: true, stale: false });
    expect((r as { destinations: unknown[] }).destinations).toEqual([{ service: 'TCP 192.168.56.131:80', present: true, weight: 0, activeConns: 0, inactiveConns: 0 }]);
    expect(w.director.passes.override).toBe(1);
    await w.director.stop();
  });

  it('disable removes the server and enable brings it back as configuration and health say', async () => {
    const w = await world();
    await w.service.handle({ op: 'disable', ...target });
    expect(w.dests()).toEqual(['192.168.56.102:1']);
    const r = await w.service.handle({ op: 'enable', ...target });
    expect(r).toMatchObject({ mode: null, previous: 'disable', changed: true });
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    await w.director.stop();
  });

  it('a repeated drain changes nothing and runs no pass', async () => {
    const w = await world();
    await w.service.handle({ op: 'drain', ...target });
    const again = await w.service.handle({ op: 'drain', ...target });
    expect(again).toMatchObject({ changed: false, previous: 'drain' });
    expect(w.director.passes.override).toBe(1);
    await w.director.stop();
  });

  it('logs override-set and override-cleared with the virtual and real server', async () => {
    const w = await world();
    await w.service.handle({ op: 'disable', ...target });
    await w.service.handle({ op: 'enable', ...target });
    const events = w.lines.filter((l) => l.event?.startsWith('override-')).map((l) => [l.event, l.vs, l.rs, l.mode]);
    expect(events).toEqual([
      ['override-set', '[192.168.56.131]:tcp:80', '192.168.56.101:80', 'disable'],
      ['override-cleared', '[192.168.56.131]:tcp:80', '192.168.56.101:80', 'disable'],
    ]);
    await w.director.stop();
  });

  it('saves every change to the state file, and a restart applies it in its first pass', async () => {
    const store = memoryOverrideStore();
    const w = await world(store);
    await w.service.handle({ op: 'disable', ...target });
    expect(JSON.parse(store.text!).overrides).toEqual([expect.objectContaining({ address: '192.168.56.101', port: 80, mode: 'disable', vs: 'tcp/inet/192.168.56.131/80' })]);
    await w.director.stop();
    // a new daemon on an empty kernel with the same state file
    const again = await world(memoryOverrideStore(undefined, store.text));
    expect(again.dests()).toEqual(['192.168.56.102:1']);
    expect(again.lines.find((l) => l.event === 'override-restored')).toMatchObject({ rs: '192.168.56.101:80', mode: 'disable' });
    await again.director.stop();
  });

  it('a state file that cannot be written changes nothing', async () => {
    const store = memoryOverrideStore();
    const w = await world(store);
    store.fail = true;
    await expect(w.service.handle({ op: 'disable', ...target })).rejects.toMatchObject({ code: 'CONTROL_STATE' });
    expect(w.dests()).toEqual(['192.168.56.101:1', '192.168.56.102:1']);
    expect(w.service.overrides).toEqual([]);
    await w.director.stop();
  });

  it('a reload keeps overrides; one whose server left the configuration is kept, stale, and can still be cleared', async () => {
    const w = await world();
    await w.service.handle({ op: 'disable', ...target });
    const next = model(conf('192.168.56.101', '192.168.56.102', '192.168.56.103'));
    await w.director.reload(next);
    w.service.setModel(next);
    expect(w.dests()).toEqual(['192.168.56.102:1', '192.168.56.103:1']);
    const without = model(conf('192.168.56.102'));
    await w.director.reload(without);
    w.service.setModel(without);
    expect(w.lines.some((l) => l.event === 'override-stale' && l.rs === '192.168.56.101:80')).toBe(true);
    const status = await w.service.status();
    expect(status.overrides).toEqual([expect.objectContaining({ rs: '192.168.56.101:80', stale: true })]);
    const r = await w.service.handle({ op: 'enable', ...target });
    expect(r).toMatchObject({ changed: true, stale: true, previous: 'disable' });
    expect(w.service.overrides).toEqual([]);
    await w.director.stop();
  });

  it('unknown servers are errors listing what exists, and drain of them changes nothing', async () => {
    const w = await world();
    const err = await w.service.handle({ op: 'drain', ...target, rs: '192.168.56.109:80' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('CONTROL_UNKNOWN_RS');
    expect((err as ControlError).message).toContain('it has: 192.168.56.101:80, 192.168.56.102:80');
    expect(w.director.passes.override).toBe(0);
    await w.director.stop();
  });
});

describe('control service: status and connections', () => {
  it('status joins the table with health and overrides', async () => {
    const w = await world();
    await w.service.handle({ op: 'drain', ...target });
    const s = await w.service.status();
    expect(s.services[0]!.destinations.map((d) => [d.address, d.weight, d.health?.state, d.override?.mode ?? null])).toEqual([
      ['192.168.56.101', 0, 'up', 'drain'],
      ['192.168.56.102', 1, 'up', null],
    ]);
    await w.director.stop();
  });

  it('connections sums the kernel counters of the server', async () => {
    const w = await world();
    const c = await w.service.handle({ op: 'connections', ...target });
    expect(c).toMatchObject({ vs: '[192.168.56.131]:tcp:80', rs: '192.168.56.101:80', active: 0, inactive: 0 });
    await w.director.stop();
  });

  it('before the director is attached, requests are CONTROL_STARTING', async () => {
    const kernel = new FakeIpvsKernel();
    const client = await IpvsClient.open(kernel);
    const service = new ControlService({ model: model(BOTH), store: memoryOverrideStore(), ipvs: client, log: pino({ level: 'silent' }) });
    await expect(service.handle({ op: 'disable', ...target })).rejects.toMatchObject({ code: 'CONTROL_STARTING' });
  });
});
