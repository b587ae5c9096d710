// Test runner configuration: unit tests are fast and pure; lab tests boot a guest kernel each.
import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Seconds each lab file took in a clean-clone CI run (2026-11-22). Files are started longest first, so the two
// workers finish together: in file-size order vrrp-keepalived (196 s) started last and ran alone for 165 s.
// A file not listed counts as 30 s; unit files as 1 s (they fill the gaps).
const LAB_SECONDS: Record<string, number> = {
  'vrrp-keepalived': 196, 'example-l4': 131, 'vrrp-ipv6': 127, 'control': 77, 'example-l3': 75, 'vrrp-sync': 69,
  'vrrp-reload': 69, 'realserver': 63, 'example-l1': 53, 'vrrp-l2': 50, 'example-l2': 37, 'ipvsadm-compat': 37,
  'metrics': 26, 'vrrp-flood': 25, 'lab-failures': 21, 'director': 21, 'director-scale': 19, 'vrrp-scripts': 19, 'lab': 12,
};

/** weight is a test file's expected seconds. */
function weight(file: string): number {
  const name = basename(file, '.test.ts');
  if (!file.includes('/test/lab/')) return name === 'install' ? 15 : 1;
  return LAB_SECONDS[name] ?? 30;
}

/** LongestFirst starts the slowest files first (longest-processing-time scheduling over the workers). */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => weight(b.moduleId) - weight(a.moduleId));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // a lab test without its own timeout runs a few commands in the guest; under the host's CPU steal one lvsd
    // command took 3-5 s, and realserver's status test (3 commands, 2 arpings) took 14 s in one CI run, 20 s+ in the next
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // Lab tests each boot a user-mode Linux guest; two at a time on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: LongestFirst },
  },
});
