// Format layer: `ipvsadm -L --timeout` and `ipvsadm -L --daemon` output.
import { canonicalAddress } from '../../util/addr.js';
import type { SyncDaemon, Timeouts } from '../types.js';

/** formatTimeouts is `ipvsadm -L --timeout`: "Timeout (tcp tcpfin udp): 900 120 300". */
export function formatTimeouts(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

/** daemonLine is one line of `ipvsadm -L --daemon`; maxlen, port and ttl appear when non-zero, group when known. */
export function daemonLine(d: SyncDaemon): string {
  let line = `${d.state} sync daemon (mcast=${d.mcastInterface}, syncid=${d.syncId}`;
  if (d.syncMaxLen) line += `, maxlen=${d.syncMaxLen}`;
  if (d.mcastGroup !== undefined) line += `, group=${canonicalAddress(d.mcastGroup.includes(':') ? 'inet6' : 'inet', d.mcastGroup)}`;
  if (d.mcastPort) line += `, port=${d.mcastPort}`;
  if (d.mcastTtl) line += `, ttl=${d.mcastTtl}`;
  return line + ')\n';
}

/** formatDaemons is `ipvsadm -L --daemon`: one line per running daemon, in the order given (the kernel's); nothing when none runs. */
export function formatDaemons(daemons: readonly SyncDaemon[]): string {
  return daemons.map(daemonLine).join('');
}
