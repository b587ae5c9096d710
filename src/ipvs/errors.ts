// Domain layer: typed netlink errors with stable codes and messages an operator can act on.
import { constants } from 'node:os';
import type { DestKey, IpvsOp, ServiceKey } from './types.js';

const E = constants.errno;
const errnoName = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));

/** describeService renders a service key the way ipvsadm lists it ("TCP 10.0.0.1:80", "FWM 7"). */
export function describeService(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark}${key.family === 'inet6' ? ' IPv6' : ''}`;
  return `${key.protocol.toUpperCase()} ${describeEndpoint(key)}`;
}

/** describeEndpoint renders address:port with IPv6 in brackets. */
export function describeEndpoint(k: { family: string; address: string; port: number }): string {
  return k.family === 'inet6' ? `[${k.address}]:${k.port}` : `${k.address}:${k.port}`;
}

/** describeOp renders an operation as one plan line ("add-dest TCP 10.0.0.1:80 -> 10.0.0.2:80 weight 1"). */
export function describeOp(op: IpvsOp): string {
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      return `${op.op} ${describeService(op.service.key)} ${op.service.scheduler}${op.service.persistence ? ` persistent ${op.service.persistence.timeout}` : ''}`;
    case 'del-service':
      return `del-service ${describeService(op.key)}`;
    case 'add-dest':
    case 'edit-dest':
      return `${op.op} ${describeService(op.service)} -> ${describeEndpoint(op.dest)} ${op.dest.forward} weight ${op.dest.weight}`;
    case 'del-dest':
      return `del-dest ${describeService(op.service)} -> ${describeEndpoint(op.dest)}`;
    case 'zero':
      return op.service ? `zero ${describeService(op.service)}` : 'zero';
    case 'set-timeouts':
      return `set-timeouts tcp ${op.timeouts.tcp} tcpfin ${op.timeouts.tcpFin} udp ${op.timeouts.udp}`;
    case 'start-daemon':
      return `start-daemon ${op.daemon.state} ${op.daemon.mcastInterface} syncid ${op.daemon.syncId}`;
    case 'stop-daemon':
      return `stop-daemon ${op.state}`;
    case 'flush':
      return 'flush';
  }
}

function explain(errno: number, op: IpvsOp | undefined, what: string): string {
  if (errno === E.EPERM || errno === E.EACCES) return `${what}: permission denied: lvsd needs CAP_NET_ADMIN (run it as root)`;
  if (!op) return `${what}: ${errnoName.get(errno) ?? `errno ${errno}`}`;
  const svc = 'service' in op && op.service && 'kind' in op.service ? describeService(op.service as ServiceKey) : undefined;
  switch (op.op) {
    case 'add-service':
      if (errno === E.EEXIST) return `service ${describeService(op.service.key)} already exists`;
      if (errno === E.ENOENT)
        return `scheduler '${op.service.scheduler}'${op.service.pe ? ` or persistence engine '${op.service.pe}'` : ''} is not loaded (load ip_vs_${op.service.scheduler})`;
      break;
    case 'edit-service':
      if (errno === E.ESRCH) return `service ${describeService(op.service.key)} does not exist`;
      if (errno === E.ENOENT) return `scheduler '${op.service.scheduler}' is not loaded (load ip_vs_${op.service.scheduler})`;
      break;
    case 'del-service':
      if (errno === E.ESRCH) return `service ${describeService(op.key)} does not exist`;
      break;
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest': {
      const d = describeEndpoint(op.dest as DestKey);
      if (errno === E.ESRCH) return `service ${svc} does not exist`;
      if (errno === E.EEXIST) return `destination ${d} already exists in service ${svc}`;
      if (errno === E.ENOENT) return `destination ${d} does not exist in service ${svc}`;
      if (errno === E.EINVAL) return `destination ${d} rejected by the kernel for service ${svc} (address not unicast, or bad forwarding/tunnel parameters)`;
      break;
    }
    case 'stop-daemon':
      if (errno === E.ESRCH) return `no ${op.state} sync daemon is running`;
      break;
    case 'start-daemon':
      if (errno === E.EEXIST) return `a ${op.daemon.state} sync daemon is already running`;
      if (errno === E.ENODEV) return `interface '${op.daemon.mcastInterface}' does not exist`;
      break;
    default:
      break;
  }
  return `${what}: ${errnoName.get(errno) ?? `errno ${errno}`} (${describeOp(op)})`;
}

/** NetlinkError is a failed netlink operation: errno, the operation and the object it was about are kept. */
export class NetlinkError extends Error {
  readonly code: string;
  constructor(
    readonly errno: number,
    readonly operation: string,
    readonly op?: IpvsOp,
    message?: string,
  ) {
    super(message ?? explain(errno, op, operation));
    this.name = 'NetlinkError';
    this.code = errnoName.get(errno) ?? `E${errno}`;
  }
}

/** IpvsUnavailableError says the running kernel has no IPVS (the generic netlink family is missing). */
export class IpvsUnavailableError extends NetlinkError {
  constructor(errno: number) {
    super(errno, 'resolve IPVS family', undefined, 'IPVS is not available in this kernel (load ip_vs: modprobe ip_vs)');
    this.name = 'IpvsUnavailableError';
  }
}
