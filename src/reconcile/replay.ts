// Reconcile layer (pure): replay a pass's accepted operations on the table it was planned against, so the next pass can diff without re-reading the kernel.
import { constants } from 'node:os';
import type { ApplyFailure } from '../ipvs/client.js';
import type { Destination, DestKey, IpvsOp, Service, ServiceKey, Table, Timeouts } from '../ipvs/types.js';
import { canonicalAddress, destId, serviceId } from './diff.js';

const { EEXIST, ENOENT, ESRCH } = constants.errno;

/** Refusal is the part of an ApplyFailure replay needs: which operation, and the kernel's errno. */
export type Refusal = Pick<ApplyFailure, 'index'> & { readonly error: { readonly errno: number } };

/**
 * StaleSign is an operation whose outcome contradicts the table it was planned against: a refusal that says
 * the entry was (EEXIST on an add) or was not there (ESRCH for the service, ENOENT for the destination, on an
 * edit or delete) against what the table says, or an accepted operation the table says could not succeed.
 */
export interface StaleSign {
  readonly index: number;
  readonly op: IpvsOp;
  /** the kernel's errno for a refusal; absent for an accepted operation */
  readonly errno?: number | undefined;
}

/** Replayed is the table after a pass, and the operations that showed the table it started from was wrong. */
export interface Replayed {
  readonly table: Table;
  readonly stale: readonly StaleSign[];
}

type Entry = { readonly service: Service; readonly dests: readonly Destination[] };
type Own = { service: Service; dests: Destination[] };

const keyOf = (k: ServiceKey): ServiceKey => (k.kind === 'fwmark' ? k : { ...k, address: canonicalAddress(k.family, k.address) });
const asListed = (d: Destination): Destination => ({ ...d, address: canonicalAddress(d.family, d.address) });

/**
 * replayOps applies the accepted operations of a pass to `table` in order, as the kernel did: a new service is
 * listed last (the kernel lists services in hash order; only the order of service deletes depends on it), a new
 * destination first (the kernel puts it at the head of its service's list), an edit keeps the entry where it is.
 * A refused operation leaves its entry as it was. Kernel-only fields (statistics, connection counters) of
 * untouched entries are kept as they were read; `table` is not modified.
 */
export function replayOps(table: Table, ops: readonly IpvsOp[], failures: readonly Refusal[] = []): Replayed {
  const refused = new Map<number, number>(failures.map((f) => [f.index, f.error.errno]));
  const services: (Entry | undefined)[] = [...table.services];
  const at = new Map<string, number>();
  services.forEach((e, i) => at.set(serviceId(e!.service.key), i));
  const owned = new Set<number>();
  const stale: StaleSign[] = [];
  const find = (key: ServiceKey): number | undefined => at.get(serviceId(key));
  const own = (i: number): Own => {
    if (!owned.has(i)) {
      const e = services[i]!;
      services[i] = { service: e.service, dests: [...e.dests] };
      owned.add(i);
    }
    return services[i] as Own;
  };
  const destAt = (i: number | undefined, d: DestKey): number => {
    if (i === undefined) return -1;
    const id = destId(d);
    return services[i]!.dests.findIndex((x) => destId(x) === id);
  };

  ops.forEach((op, index) => {
    const errno = refused.get(index);
    const sign = (): void => void stale.push(errno === undefined ? { index, op } : { index, op, errno });
    if (errno !== undefined) {
      if (contradicts(op, errno, find, destAt)) sign();
      return;
    }
    switch (op.op) {
      case 'add-service': {
        const i = find(op.service.key);
        const entry: Own = { service: { ...op.service, key: keyOf(op.service.key) }, dests: [] };
        if (i !== undefined) {
          sign();
          services[i] = entry;
          owned.add(i);
        } else {
          at.set(serviceId(op.service.key), services.length);
          owned.add(services.length);
          services.push(entry);
        }
        return;
      }
      case 'edit-service': {
        const i = find(op.service.key);
        if (i === undefined) return sign();
        own(i).service = { ...op.service, key: services[i]!.service.key };
        return;
      }
      case 'del-service': {
        const i = find(op.key);
        if (i === undefined) return sign();
        services[i] = undefined;
        at.delete(serviceId(op.key));
        return;
      }
      case 'add-dest':
      case 'edit-dest': {
        const i = find(op.service);
        if (i === undefined) return sign();
        const j = destAt(i, op.dest);
        const e = own(i);
        if ((j >= 0) !== (op.op === 'edit-dest')) sign();
        if (j >= 0) e.dests[j] = asListed(op.dest);
        else e.dests.unshift(asListed(op.dest));
        return;
      }
      case 'del-dest': {
        const i = find(op.service);
        const j = destAt(i, op.dest);
        if (i === undefined || j < 0) return sign();
        own(i).dests.splice(j, 1);
        return;
      }
      case 'flush':
        services.fill(undefined);
        at.clear();
        return;
      default:
        // zero, timeouts and sync daemons do not change which entries the table holds
        return;
    }
  });
  return { table: { services: services.filter((e): e is Entry => e !== undefined) }, stale };
}

/** applyOps is the table after a pass: `table` with the accepted operations applied in order and the refused ones left out (see replayOps). */
export function applyOps(table: Table, ops: readonly IpvsOp[], failures: readonly Refusal[] = []): Table {
  return replayOps(table, ops, failures).table;
}

/** timeoutsAfter is the connection timeouts after a pass: an accepted set-timeouts changes its non-zero members. */
export function timeoutsAfter(timeouts: Timeouts | undefined, ops: readonly IpvsOp[], failures: readonly Refusal[] = []): Timeouts | undefined {
  const refused = new Set(failures.map((f) => f.index));
  let t = timeouts;
  ops.forEach((op, i) => {
    if (op.op !== 'set-timeouts' || refused.has(i) || !t) return;
    t = { tcp: op.timeouts.tcp || t.tcp, tcpFin: op.timeouts.tcpFin || t.tcpFin, udp: op.timeouts.udp || t.udp };
  });
  return t;
}

/** contradicts says whether the kernel's refusal of `op` disagrees with the table: it found present what the table lacks, or missing what the table has. */
function contradicts(op: IpvsOp, errno: number, find: (k: ServiceKey) => number | undefined, destAt: (i: number | undefined, d: DestKey) => number): boolean {
  switch (op.op) {
    case 'add-service':
      return errno === EEXIST && find(op.service.key) === undefined;
    case 'edit-service':
      return errno === ESRCH && find(op.service.key) !== undefined;
    case 'del-service':
      return errno === ESRCH && find(op.key) !== undefined;
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest': {
      const i = find(op.service);
      if (errno === ESRCH) return i !== undefined;
      const has = destAt(i, op.dest) >= 0;
      if (op.op === 'add-dest') return errno === EEXIST && i !== undefined && !has;
      return errno === ENOENT && has;
    }
    default:
      return false;
  }
}
