// I/O edge: readiness for systemd (Type=notify) without systemd's C library: `systemd-notify --ready --pid`, started through the script launcher.
import { directLauncher, type Launcher } from '../health/launcher.js';

/** notifyReady tells systemd the daemon is ready when it runs under Type=notify (NOTIFY_SOCKET set); a no-op otherwise.
 * The daemon passes its spawn helper, so that readiness does not fork the daemon while VRRP runs (NotifyAccess=all). */
export async function notifyReady(status: string, env: NodeJS.ProcessEnv = process.env, launcher: Launcher = directLauncher()): Promise<boolean> {
  if (!env.NOTIFY_SOCKET) return false;
  const childEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const r = await launcher.launch({ argv: ['systemd-notify', '--ready', `--pid=${process.pid}`, `--status=${status}`], env: childEnv, timeoutMs: 5000, maxOutputBytes: 4096 }).result;
  return r.code === 0;
}
