import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/lab/errors.js';
import { startLab } from '../../src/lab/lab.js';
import type { TopologyInput } from '../../src/lab/topology.js';

const tiny: TopologyInput = { hosts: [{ name: 'client', role: 'client', addresses: ['10.0.0.1/24'] }] };

async function labFailure(run: () => Promise<unknown>): Promise<LabError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  const e = err as LabError;
  // the guest is gone with every host process it had, and its run folder is kept for a look
  expect(e.runDir).toBeDefined();
  expect(() => execFileSync('pgrep', ['-f', `init=${e.runDir}/`])).toThrow();
  rmSync(e.runDir as string, { recursive: true, force: true });
  return e;
}

describe('a failing guest', () => {
  it('reports LAB_NO_IPVS with the console when the kernel modules are missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lvsd-lab-modules-'));
    try {
      const e = await labFailure(() => startLab(tiny, { modulesDir: empty }));
      expect(e.code).toBe('LAB_NO_IPVS');
      expect(e.message).toMatch(/no kernel modules for \S+ in /);
      expect(e.message).toContain('--- guest console (tail) ---');
      expect(e.message).toContain('lvsd-lab: init started');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reports LAB_BOOT_FAILED with the console when init dies', async () => {
    const e = await labFailure(() => startLab(tiny, { bootScript: 'echo "init is giving up on purpose"; exit 3' }));
    expect(e.code).toBe('LAB_BOOT_FAILED');
    expect(e.message).toContain('init is giving up on purpose');
    expect(e.message).toContain('Attempted to kill init');
  });

  it('reports LAB_TIMEOUT with the console and kills the guest when it is not ready in time', async () => {
    const e = await labFailure(() => startLab(tiny, { timeoutMs: 10_000, bootScript: 'echo "stuck before the topology"; sleep 600' }));
    expect(e.code).toBe('LAB_TIMEOUT');
    expect(e.message).toContain('stuck before the topology');
  });

  it('reports LAB_TOPOLOGY_FAILED with the failing command when the namespaces cannot be built', async () => {
    const e = await labFailure(() => startLab(tiny, { bootScript: 'ip netns add client' }));
    expect(e.code).toBe('LAB_TOPOLOGY_FAILED');
    expect(e.message).toContain('Cannot create namespace file "/run/netns/client": File exists');
  });

  it('reports LAB_GUEST_EXITED with the console when the guest goes away during a command', async () => {
    const lab = await startLab(tiny);
    const e = await labFailure(() => lab.exec(null, 'echo o > /proc/sysrq-trigger; sleep 30'));
    expect(e.code).toBe('LAB_GUEST_EXITED');
    expect(e.message).toContain('reboot: Power down');
    await expect(lab.exec('client', 'true')).rejects.toMatchObject({ code: 'LAB_GUEST_EXITED' });
    await lab.stop();
  });
});
