// Control layer (daemon wiring): what `lvsd run` adds for status and control — the socket bound first (one lvsd
// per socket), the saved overrides loaded before the first pass, the service attached once the director runs.
import type { Model } from '../config/model.js';
import type { Logger } from '../daemon/log.js';
import { IpvsClient } from '../ipvs/client.js';
import type { OverrideFn } from '../reconcile/desired.js';
import type { InstanceStatus } from '../vrrp/manager.js';
import { ControlServer } from './server.js';
import { ControlService, type DirectorPort, type TablePort } from './service.js';
import { fileOverrideStore } from './state.js';

/** ControlOptions say where the socket and the state file are. */
export interface ControlOptions {
  readonly socketPath: string;
  readonly stateFile: string;
  readonly model: Model;
  readonly log: Logger;
  /** reads the kernel table for status (default: a netlink socket of its own, opened on attach) */
  readonly ipvs?: TablePort | undefined;
}

/** DaemonControl is the daemon's handle on status and control. */
export interface DaemonControl {
  readonly service: ControlService;
  readonly server: ControlServer;
  /** overrides is the Director's `overrides` option: the overrides in force at each pass */
  readonly overrides: () => OverrideFn | undefined;
  /** attach starts answering requests once the director (and VRRP) run */
  attach(director: DirectorPort, vrrp?: { status(): InstanceStatus[] }): Promise<void>;
  setModel(model: Model): void;
  close(): Promise<void>;
}

/** openControl loads the overrides (CONTROL_STATE on a bad file) and binds the socket (CONTROL_ALREADY_RUNNING when a daemon answers on it). */
export async function openControl(o: ControlOptions): Promise<DaemonControl> {
  let reader: IpvsClient | undefined;
  let vrrpStatus: (() => InstanceStatus[]) | undefined;
  const table: TablePort = o.ipvs ?? {
    table: () => reader!.table(),
    info: () => reader!.info(),
  };
  const service = new ControlService({ model: o.model, store: fileOverrideStore(o.stateFile), ipvs: table, log: o.log, vrrp: () => vrrpStatus?.() ?? [] });
  const server = await ControlServer.listen(o.socketPath);
  o.log.info({ event: 'control-listening', socket: o.socketPath, stateFile: o.stateFile, overrides: service.overrides.length }, `control socket ${o.socketPath}`);
  return {
    service,
    server,
    overrides: () => service.overrideFn(),
    async attach(director, vrrp) {
      if (!o.ipvs) reader = await IpvsClient.open();
      vrrpStatus = vrrp ? () => vrrp.status() : undefined;
      service.attach(director);
      server.handler = service;
    },
    setModel: (model) => service.setModel(model),
    async close() {
      server.handler = undefined;
      await server.close();
      reader?.close();
    },
  };
}
