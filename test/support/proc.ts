// Test support: process state from /proc, for tests that check a killed process is gone.
import { readFileSync } from 'node:fs';

/** alive is whether a process exists and is not a zombie (a killed orphan may wait for its reaper). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
