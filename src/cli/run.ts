// CLI layer: `lvsd run` — the director daemon: load, apply, check, resync; SIGHUP reloads, SIGTERM stops cleanly.
import { setFlagsFromString } from 'node:v8';
import { formatDiagnostic, loadConfig, type ParseResult } from '../config/index.js';
import type { Model } from '../config/model.js';
import { standAside } from '../daemon/backup-only.js';
import { Director } from '../daemon/director.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { notifyReady } from '../daemon/sdnotify.js';
import { openSpawnHelper } from '../health/spawn-helper.js';
import { IpvsClient } from '../ipvs/client.js';
import { DEFAULT_METRICS_ADDRESS, formatListenAddress, MetricsError, parseMetricsAddress, type ListenAddress } from '../metrics/address.js';
import { VrrpManager } from '../vrrp/manager.js';
import { CliError } from './errors.js';
import { DEFAULT_CONTROL_SOCKET, DEFAULT_OVERRIDES_FILE } from '../control/defaults.js';
import { openControl } from '../control/daemon.js';
import { ControlError } from '../control/errors.js';

/** RunOptions are the options of `lvsd run`. */
export interface RunOptions {
  readonly configFile: string;
  /** seconds between kernel re-reads that repair drift */
  readonly resyncInterval: string;
  readonly keepOnExit?: boolean;
  readonly logLevel: string;
  /** the control socket of `lvsd status|drain|disable|enable` (default /run/lvsd/lvsd.sock) */
  readonly controlSocket?: string;
  /** where overrides are kept across restarts (default /var/lib/lvsd/overrides.json) */
  readonly stateFile?: string;
  /** HOST:PORT of the Prometheus endpoint, or off (default 127.0.0.1:9469) */
  readonly metricsAddress?: string;
}

/** metricsAddress reads --metrics-address; a bad value is a usage error (exit 2) with its code. */
function metricsAddress(text = DEFAULT_METRICS_ADDRESS): ListenAddress | undefined {
  try {
    return parseMetricsAddress(text);
  } catch (err) {
    if (err instanceof MetricsError) throw new CliError(`${err.message} [${err.code}]`, 2);
    throw err;
  }
}

function load(path: string, log: Logger): Model | undefined {
  const result: ParseResult = loadConfig(path);
  for (const d of result.diagnostics) log[d.severity === 'error' ? 'error' : 'warn']({ event: 'config', code: d.code, file: d.file, line: d.line, column: d.column }, formatDiagnostic(d));
  return result.model;
}

/** runDaemon runs the director until SIGTERM or SIGINT; a configuration that does not parse at start is an error (exit 1). */
export async function runDaemon(opts: RunOptions): Promise<void> {
  // the executable starts V8 without its optimizing compiler (right for one-shot commands, see bin/lvsd); the daemon
  // runs for months and wants it
  setFlagsFromString('--turbofan');
  const resyncMs = Number(opts.resyncInterval) * 1000;
  if (!Number.isFinite(resyncMs) || resyncMs < 100) throw new CliError(`--resync-interval ${opts.resyncInterval}: give a number of seconds, at least 0.1`, 2);
  const metricsAt = metricsAddress(opts.metricsAddress);
  const log = createLogger(opts.logLevel);
  const model = load(opts.configFile, log);
  if (!model) throw new CliError(`${opts.configFile}: configuration is not usable; not starting`, 1);
  // the control socket (one lvsd per socket) and the saved overrides come before anything touches the kernel
  const control = await openControl({ socketPath: opts.controlSocket ?? DEFAULT_CONTROL_SOCKET, stateFile: opts.stateFile ?? DEFAULT_OVERRIDES_FILE, model, log }).catch((err: unknown) => {
    if (err instanceof ControlError) throw new CliError(`${err.message} [${err.code}]`, err.code === 'CONTROL_ALREADY_RUNNING' ? 3 : 1);
    throw err;
  });
  // scripts are started by a small helper process: forking this one stalls its event loop (tens to hundreds of ms
  // in a user-mode kernel), which would delay VRRP adverts; started before anything runs on timers
  const launcher = await openSpawnHelper({
    exited: (reason, lost) => log.error({ event: 'spawn-helper-exited', reason, scriptsLost: lost }, `${reason}; it is started again for the next script`),
  }).catch((err: unknown) => {
    log.warn({ event: 'spawn-helper-unavailable', err: (err as Error).message }, `scripts are forked from lvsd itself: ${(err as Error).message}`);
    return null;
  });
  if (launcher === undefined) log.warn({ event: 'spawn-helper-missing' }, 'native/build/Release/lvsd-spawn is missing (run `npm install`): scripts are forked from lvsd itself, which can delay VRRP adverts');
  const client = await IpvsClient.open();
  const m = metricsAt ? await import('../metrics/index.js') : undefined;
  const checks = m ? new m.CheckMetrics() : undefined;
  const director = new Director(model, client, log, { resyncMs, keepOnExit: opts.keepOnExit, overrides: control.overrides, health: { launcher: launcher ?? undefined, ...(checks ? { onCheckEnd: checks.observe } : {}) } });
  // VRRP runs in the same process: instances start once the table is in place, so a new Master serves at once
  const vrrp = model.vrrp.instances.length > 0 ? new VrrpManager(model, log, { ipvs: client, launcher: launcher ?? undefined }) : undefined;
  // the endpoint is bound before anything is applied: an address in use stops lvsd before it touches the kernel
  const metrics = m && metricsAt
    ? await m.serveMetrics(metricsAt, m.createMetrics({ ipvs: client, health: director, vrrp: vrrp ?? m.NO_VRRP, reconcile: director }, { checks }).scrape, (f, msg) => log.warn(f, msg)).catch(async (err: unknown) => {
        // nothing may keep the process alive: it exits with the error
        client.close();
        await control.close();
        await launcher?.close();
        throw err;
      })
    : undefined;
  if (metrics) log.info({ event: 'metrics-listening', address: formatListenAddress(metrics.address) }, `metrics at http://${formatListenAddress(metrics.address)}/metrics`);
  const t0 = performance.now();
  // a director that is one of its own real servers (layout L4): backup_only + backup sync daemon before the table
  const restoreBackupOnly = await standAside(model, log, vrrp);
  const first = await director.start();
  await vrrp?.start();
  await control.attach(director, vrrp);
  log.info({ event: 'ready', operations: first.ops.length, failures: first.failures.length, ms: Math.round(performance.now() - t0), virtualServers: model.virtualServers.length, vrrpInstances: vrrp?.instances.length ?? 0 }, `lvsd running: ${model.virtualServers.length} virtual servers, ${first.ops.length} operations applied`);
  await notifyReady(`${model.virtualServers.length} virtual servers, ${vrrp?.instances.length ?? 0} VRRP instances`, process.env, launcher ?? undefined);

  let reloading = Promise.resolve();
  const onHup = (): void => {
    reloading = reloading.then(async () => {
      log.info({ event: 'reload-requested', file: opts.configFile }, 'SIGHUP: reloading the configuration');
      const next = load(opts.configFile, log);
      if (!next) {
        log.error({ event: 'reload-rejected', file: opts.configFile }, 'the new configuration is not usable; still running the previous one');
        return;
      }
      await director.reload(next);
      control.setModel(next);
      // VRRP as keepalived reloads it: unchanged instances keep their state, changed ones take their new settings,
      // removed ones stop, added ones start (src/vrrp/reload.ts)
      if (vrrp) await vrrp.reload(next).catch((err: unknown) => log.error({ event: 'vrrp-reload-failed', err }, `VRRP reload: ${(err as Error).message}`));
      else if (next.vrrp.instances.length > 0) log.warn({ event: 'vrrp-reload-ignored', file: opts.configFile }, 'VRRP instances added to a configuration that had none: restart lvsd to start VRRP');
      log.info({ event: 'reloaded', file: opts.configFile, virtualServers: next.virtualServers.length }, 'configuration reloaded');
    });
  };
  process.on('SIGHUP', onHup);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.off('SIGHUP', onHup);
  log.info({ event: 'stopping', signal, keepOnExit: opts.keepOnExit === true }, `${signal}: stopping`);
  await reloading;
  await control.close();
  // priority-0 adverts and VIP removal first, so the peer takes over while the table is still being removed here
  await vrrp?.stop().catch((err: unknown) => log.error({ event: 'vrrp-stop-failed', err }, `VRRP stop: ${(err as Error).message}`));
  await director.stop();
  restoreBackupOnly();
  await metrics?.close();
  await launcher?.close();
  client.close();
  log.info({ event: 'stopped' }, 'lvsd stopped');
}
