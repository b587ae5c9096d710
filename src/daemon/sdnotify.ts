// I/O edge: readiness for systemd (Type=notify) without systemd's C library: `systemd-notify --ready --pid`.
import { execFile } from 'node:child_process';

/** notifyReady tells systemd the daemon is ready when it runs under Type=notify (NOTIFY_SOCKET set); a no-op otherwise. */
export function notifyReady(status: string, env: NodeJS.ProcessEnv = process.env, run: typeof execFile = execFile): Promise<boolean> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve(false);
  return new Promise((resolve) => {
    run('systemd-notify', ['--ready', `--pid=${process.pid}`, `--status=${status}`], { env, timeout: 5000 }, (err) => resolve(!err));
  });
}
