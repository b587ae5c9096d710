// Codec layer: IPVS operations and queries as generic netlink requests (cmd + attributes).
import { encodeGenl, genlLength, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/message.js';
import type { AttrValues } from '../netlink/nla.js';
import { daemonStopToWire, daemonToWire, destKeyToWire, destToWire, serviceKeyToWire, serviceRefToWire, serviceToWire, timeoutsToWire } from './convert.js';
import type { IpvsOp, ServiceKey } from './types.js';
import { Cmd, cmdTable, IPVS_GENL_VERSION } from './wire.js';

/** IpvsRequest is one IPVS command with its first-level attributes. */
export interface IpvsRequest {
  readonly cmd: number;
  readonly attrs: AttrValues;
  readonly dump?: boolean;
}

/** opToRequest maps a domain write to the IPVS command and attributes libipvs would send for it. */
export function opToRequest(op: IpvsOp): IpvsRequest {
  switch (op.op) {
    case 'add-service':
      return { cmd: Cmd.NEW_SERVICE, attrs: { service: serviceToWire(op.service) } };
    case 'edit-service':
      return { cmd: Cmd.SET_SERVICE, attrs: { service: serviceToWire(op.service) } };
    case 'del-service':
      return { cmd: Cmd.DEL_SERVICE, attrs: { service: serviceRefToWire(op.key) } };
    case 'add-dest':
      return { cmd: Cmd.NEW_DEST, attrs: { service: serviceRefToWire(op.service), dest: destToWire(op.dest) } };
    case 'edit-dest':
      return { cmd: Cmd.SET_DEST, attrs: { service: serviceRefToWire(op.service), dest: destToWire(op.dest) } };
    case 'del-dest':
      return { cmd: Cmd.DEL_DEST, attrs: { service: serviceRefToWire(op.service), dest: destKeyToWire(op.dest) } };
    case 'flush':
      return { cmd: Cmd.FLUSH, attrs: {} };
    case 'zero':
      return { cmd: Cmd.ZERO, attrs: op.service ? { service: serviceRefToWire(op.service) } : {} };
    case 'set-timeouts':
      return { cmd: Cmd.SET_CONFIG, attrs: timeoutsToWire(op.timeouts) };
    case 'start-daemon':
      return { cmd: Cmd.NEW_DAEMON, attrs: { daemon: daemonToWire(op.daemon) } };
    case 'stop-daemon':
      return { cmd: Cmd.DEL_DAEMON, attrs: { daemon: daemonStopToWire(op.state) } };
  }
}

/** Query lists the read requests: info, services, one service's destinations, timeouts, sync daemons. */
export const Query = {
  info: (): IpvsRequest => ({ cmd: Cmd.GET_INFO, attrs: {} }),
  services: (): IpvsRequest => ({ cmd: Cmd.GET_SERVICE, attrs: {}, dump: true }),
  dests: (key: ServiceKey): IpvsRequest => ({ cmd: Cmd.GET_DEST, attrs: { service: serviceKeyToWire(key) }, dump: true }),
  timeouts: (): IpvsRequest => ({ cmd: Cmd.GET_CONFIG, attrs: {} }),
  daemons: (): IpvsRequest => ({ cmd: Cmd.GET_DAEMON, attrs: {}, dump: true }),
} as const;

/** requestLength is the encoded size of a request, padding included. */
export function requestLength(req: IpvsRequest): number {
  return (genlLength(cmdTable, req.attrs) + 3) & ~3;
}

/** encodeRequest writes a request at offset with the family id, sequence number and ack choice; returns the next offset. */
export function encodeRequest(req: IpvsRequest, family: number, seq: number, ack: boolean, buf: Buffer, offset: number, pid = 0): number {
  const flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0) | (req.dump ? NLM_F_DUMP : 0);
  return encodeGenl({ family, cmd: req.cmd, version: IPVS_GENL_VERSION, flags, seq, pid }, cmdTable, req.attrs, buf, offset);
}

/** encodeRequestMessage returns one request as its own buffer. */
export function encodeRequestMessage(req: IpvsRequest, family: number, seq: number, ack = true, pid = 0): Buffer {
  const buf = Buffer.alloc(requestLength(req));
  encodeRequest(req, family, seq, ack, buf, 0, pid);
  return buf;
}
