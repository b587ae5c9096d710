// Realserver layer: the /proc edge behind a narrow port (real and in-memory), sysctl names, and how the kernel combines them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** ProcPort reads and writes files under /proc by relative path ("sys/net/ipv4/conf/all/arp_ignore", "net/route"). */
export interface ProcPort {
  /** the file's text, or undefined when it does not exist */
  read(path: string): string | undefined;
  write(path: string, value: string): void;
}

/** procFs is the host's /proc (or another root, for tests on a real folder). */
export function procFs(root = '/proc'): ProcPort {
  return {
    read(path) {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    write(path, value) {
      writeFileSync(join(root, path), `${value}\n`);
    },
  };
}

/** memoryProc is an in-memory ProcPort for tests: writing a path that does not exist fails as /proc does (ENOENT). */
export function memoryProc(files: Record<string, string> = {}): ProcPort & { readonly files: Record<string, string> } {
  return {
    files,
    read: (path) => files[path],
    write(path, value) {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '/proc/${path}'`), { code: 'ENOENT' });
      files[path] = `${value}\n`;
    },
  };
}

/** ConfKey is a per-interface IPv4 setting lvsd reads or writes. */
export type ConfKey = 'arp_ignore' | 'arp_announce' | 'proxy_arp' | 'rp_filter';

/** CONF_KEYS are the per-interface IPv4 settings a snapshot reads. */
export const CONF_KEYS: readonly ConfKey[] = ['arp_ignore', 'arp_announce', 'proxy_arp', 'rp_filter'];

/** confName is the /proc/sys path of an IPv4 interface setting: confName('eth0', 'arp_ignore') = "net/ipv4/conf/eth0/arp_ignore". */
export function confName(iface: string, key: ConfKey): string {
  return `net/ipv4/conf/${iface}/${key}`;
}

/** sysctlDisplayName is a /proc/sys path as sysctl(8) prints it: dots between parts, a dot inside a part becomes a slash. */
export function sysctlDisplayName(path: string): string {
  return path
    .split('/')
    .map((p) => p.replace(/\./g, '/'))
    .join('.');
}

/**
 * effectiveConf is the value the kernel uses for an interface: it combines `all` and the interface — the larger of
 * the two for arp_ignore, arp_announce and rp_filter (IN_DEV_MAXCONF), either one for proxy_arp (IN_DEV_ORCONF).
 * Undefined when neither is known.
 */
export function effectiveConf(sysctls: Readonly<Record<string, string>>, iface: string, key: ConfKey): number | undefined {
  const all = sysctls[confName('all', key)];
  const own = sysctls[confName(iface, key)];
  const vals = [all, own].filter((v): v is string => v !== undefined).map((v) => Number(v.trim()));
  if (vals.length === 0) return undefined;
  if (key === 'proxy_arp') return vals.some((v) => v !== 0) ? 1 : 0;
  return Math.max(...vals);
}

/** parseDefaultRoutes returns the interfaces of the IPv4 default routes in /proc/net/route (destination and mask 0, route up). */
export function parseDefaultRoutes(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flags, , , , mask] = f;
    if (dest === '00000000' && mask === '00000000' && (parseInt(flags ?? '0', 16) & 1) === 1 && !out.includes(iface!)) out.push(iface!);
  }
  return out;
}
