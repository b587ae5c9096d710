// Format layer: `ipvsadm -S -n` (the restore format) from domain objects, byte for byte.
import type { Destination, Service, Table } from '../types.js';
import { addrPort, fwdSwitch, hasSchedFlags, persistMask, schedFlagsText, serviceRuleName, tunnelRuleOptions } from './names.js';
import { sortDests, sortServices } from './sort.js';

/**
 * serviceRule is the "-A ..." line of a service: scheduler, then -p/-M (persistent only), --pe, -o and -b.
 * Unlike the listing, --pe is printed even for a non-persistent service; "-b " is printed with nothing after it
 * when only flag 3 is set on sh/mh (ipvsadm's own quirk; its restore then rejects that line).
 */
export function serviceRule(svc: Service): string {
  let line = `-A ${serviceRuleName(svc)} -s ${svc.scheduler}`;
  if (svc.persistence) {
    line += ` -p ${svc.persistence.timeout}`;
    const mask = persistMask(svc.key.family, svc.persistence.netmask);
    if (mask !== undefined) line += ` -M ${mask}`;
  }
  if (svc.pe) line += ` --pe ${svc.pe}`;
  if (svc.onePacket) line += ' -o';
  if (hasSchedFlags(svc)) line += ` -b ${schedFlagsText(svc.scheduler, svc.schedFlags)}`;
  return line + '\n';
}

/** destRule is the "-a ..." line of a destination: forwarding switch and weight, then tunnel options; thresholds are not saved. */
export function destRule(svc: Service, d: Destination): string {
  const head = `-a ${serviceRuleName(svc)} -r ${addrPort(d.family, d.address, d.port)} ${fwdSwitch(d.forward)} -w ${d.weight}`;
  return d.forward === 'tunnel' ? `${head} ${tunnelRuleOptions(d)}\n` : `${head}\n`;
}

/** formatSave renders what `ipvsadm -S -n` prints for this table: services and destinations in ipvsadm's sorted order. */
export function formatSave(table: Table): string {
  return sortServices(table.services)
    .map((e) => serviceRule(e.service) + sortDests(e.dests).map((d) => destRule(e.service, d)).join(''))
    .join('');
}
