// Realserver layer: the state file — its validated JSON form (pure) and an atomic file store (edge).
import { writeFileAtomic } from '../util/atomic-file.js';
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { RealserverError } from './errors.js';
import { DEFAULT_STATE_FILE, EMPTY_STATE, type RealserverState } from './model.js';

export { DEFAULT_STATE_FILE };

const family = z.enum(['inet', 'inet6']);
const stateSchema = z
  .object({
    version: z.literal(1),
    addresses: z.array(
      z
        .object({
          family,
          address: z.string().min(1),
          prefix: z.number().int().min(0).max(128),
          interface: z.string().min(1).max(15),
          label: z.string().max(15).optional(),
        })
        .strict(),
    ),
    sysctls: z.array(
      z
        .object({
          name: z.string().regex(/^net\/ipv[46]\/conf\/[^/]+\/[a-z_]+$/, 'a path under /proc/sys/net/ipv4/conf or ipv6/conf'),
          previous: z.string(),
          value: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

/** parseState reads the state file's text; RS_STATE says what is wrong and what to do. */
export function parseState(text: string, path: string): RealserverState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RealserverError('RS_STATE', `state file ${path} is not JSON (${(err as Error).message}): restore it from a backup or remove it (lvsd then forgets what it changed)`);
  }
  const r = stateSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RealserverError('RS_STATE', `state file ${path} is not an lvsd real-server state (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}): restore it or remove it`);
  }
  return r.data as RealserverState;
}

/** serializeState is the state file's text: stable key order, one record per line for people who read it. */
export function serializeState(s: RealserverState): string {
  const line = (o: unknown): string => `    ${JSON.stringify(o)}`;
  const list = (items: readonly unknown[]): string => (items.length === 0 ? '[]' : `[\n${items.map(line).join(',\n')}\n  ]`);
  const addresses = s.addresses.map((a) => ({ family: a.family, address: a.address, prefix: a.prefix, interface: a.interface, ...(a.label ? { label: a.label } : {}) }));
  const sysctls = s.sysctls.map((r) => ({ name: r.name, previous: r.previous, value: r.value }));
  return `{\n  "version": 1,\n  "addresses": ${list(addresses)},\n  "sysctls": ${list(sysctls)}\n}\n`;
}

/** StateStore loads, saves and removes the state file. */
export interface StateStore {
  readonly path: string;
  /** the recorded state, or EMPTY_STATE when there is no file */
  load(): RealserverState;
  /** saves atomically (a reader sees the old file or the new one, never a part) */
  save(s: RealserverState): void;
  remove(): void;
  exists(): boolean;
}

/** fileStateStore keeps the state in a file: written to a temporary file in the same folder, synced, then renamed over. */
export function fileStateStore(path: string = DEFAULT_STATE_FILE): StateStore {
  const read = (): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RealserverError('RS_STATE', `cannot read state file ${path}: ${(err as Error).message}`);
    }
  };
  return {
    path,
    load() {
      const text = read();
      return text === undefined ? EMPTY_STATE : parseState(text, path);
    },
    exists: () => read() !== undefined,
    save(s) {
      try {
        writeFileAtomic(path, serializeState(s), { dir: 0o755, file: 0o644 });
      } catch (err) {
        throw new RealserverError('RS_STATE', `cannot write state file ${path}: ${(err as Error).message} (choose another with --state-file)`);
      }
    },
    remove() {
      rmSync(path, { force: true });
    },
  };
}

/** memoryStateStore keeps the state text in memory (tests). */
export function memoryStateStore(path = '/var/lib/lvsd/realserver.json', text?: string): StateStore & { text: string | undefined } {
  const store = {
    path,
    text,
    load: () => (store.text === undefined ? EMPTY_STATE : parseState(store.text, path)),
    save: (s: RealserverState) => {
      store.text = serializeState(s);
    },
    remove: () => {
      store.text = undefined;
    },
    exists: () => store.text !== undefined,
  };
  return store;
}
