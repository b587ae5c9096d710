// CLI layer: `lvsd run` — the director daemon: load, apply, check, resync; SIGHUP reloads, SIGTERM stops cleanly.
import { formatDiagnostic, loadConfig, type ParseResult } from '../config/index.js';
import type { Model } from '../config/model.js';
import { Director } from '../daemon/director.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { notifyReady } from '../daemon/sdnotify.js';
import { IpvsClient } from '../ipvs/client.js';
import { VrrpManager } from '../vrrp/manager.js';
import { CliError } from './errors.js';

/** RunOptions are the options of `lvsd run`. */
export interface RunOptions {
  readonly configFile: string;
  /** seconds between kernel re-reads that repair drift */
  readonly resyncInterval: string;
  readonly keepOnExit?: boolean;
  readonly logLevel: string;
}

function load(path: string, log: Logger): Model | undefined {
  const result: ParseResult = loadConfig(path);
  for (const d of result.diagnostics) log[d.severity === 'error' ? 'error' : 'warn']({ event: 'config', code: d.code, file: d.file, line: d.line, column: d.column }, formatDiagnostic(d));
  return result.model;
}

/** vrrpShape is the VRRP part of a model without source positions, to tell whether a reload changed it. */
function vrrpShape(m: Model): unknown {
  return JSON.parse(JSON.stringify(m.vrrp, (k, v: unknown) => (k === 'source' ? undefined : v)));
}

/** runDaemon runs the director until SIGTERM or SIGINT; a configuration that does not parse at start is an error (exit 1). */
export async function runDaemon(opts: RunOptions): Promise<void> {
  const resyncMs = Number(opts.resyncInterval) * 1000;
  if (!Number.isFinite(resyncMs) || resyncMs < 100) throw new CliError(`--resync-interval ${opts.resyncInterval}: give a number of seconds, at least 0.1`, 2);
  const log = createLogger(opts.logLevel);
  const model = load(opts.configFile, log);
  if (!model) throw new CliError(`${opts.configFile}: configuration is not usable; not starting`, 1);
  const client = await IpvsClient.open();
  const director = new Director(model, client, log, { resyncMs, keepOnExit: opts.keepOnExit });
  const t0 = performance.now();
  const first = await director.start();
  // VRRP runs in the same process: instances start once the table is in place, so a new Master serves at once
  const vrrp = model.vrrp.instances.length > 0 ? new VrrpManager(model, log, { ipvs: client }) : undefined;
  await vrrp?.start();
  log.info({ event: 'ready', operations: first.ops.length, failures: first.failures.length, ms: Math.round(performance.now() - t0), virtualServers: model.virtualServers.length, vrrpInstances: vrrp?.instances.length ?? 0 }, `lvsd running: ${model.virtualServers.length} virtual servers, ${first.ops.length} operations applied`);
  await notifyReady(`${model.virtualServers.length} virtual servers, ${vrrp?.instances.length ?? 0} VRRP instances`);

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
      // VRRP instances keep running as started: their blocks are applied on restart only
      if (vrrp && JSON.stringify(vrrpShape(next)) !== JSON.stringify(vrrpShape(model))) log.warn({ event: 'vrrp-reload-ignored', file: opts.configFile }, 'VRRP configuration changed: restart lvsd to apply it (VRRP keeps running as started)');
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
  // priority-0 adverts and VIP removal first, so the peer takes over while the table is still being removed here
  await vrrp?.stop().catch((err: unknown) => log.error({ event: 'vrrp-stop-failed', err }, `VRRP stop: ${(err as Error).message}`));
  await director.stop();
  client.close();
  log.info({ event: 'stopped' }, 'lvsd stopped');
}
