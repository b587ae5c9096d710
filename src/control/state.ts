// Control layer: the override state file — its validated JSON form (pure) and an atomic file store (edge).
import { writeFileAtomic } from '../util/atomic-file.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ControlError } from './errors.js';
import type { Override } from './overrides.js';

const overrideSchema = z
  .object({
    vs: z.string().min(1),
    vsName: z.string(),
    family: z.enum(['inet', 'inet6']),
    address: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    mode: z.enum(['drain', 'disable']),
    at: z.string(),
  })
  .strict();

const fileSchema = z.object({ version: z.literal(1), overrides: z.array(overrideSchema) }).strict();

/** parseOverrides reads the state file's text; CONTROL_STATE says what is wrong and what to do. */
export function parseOverrides(text: string, path: string): Override[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ControlError('CONTROL_STATE', `state file ${path} is not JSON (${(err as Error).message}): fix it or remove it (lvsd then starts with no drained or disabled servers)`);
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ControlError('CONTROL_STATE', `state file ${path} is not an lvsd override list (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}): fix it or remove it`);
  }
  return r.data.overrides;
}

/** serializeOverrides is the state file's text: one override per line, stable key order. */
export function serializeOverrides(list: readonly Override[]): string {
  const line = (o: Override): string => `    ${JSON.stringify({ vs: o.vs, vsName: o.vsName, family: o.family, address: o.address, port: o.port, mode: o.mode, at: o.at })}`;
  return `{\n  "version": 1,\n  "overrides": ${list.length === 0 ? '[]' : `[\n${list.map(line).join(',\n')}\n  ]`}\n}\n`;
}

/** OverrideStore loads and saves the override list. */
export interface OverrideStore {
  readonly path: string;
  /** the saved list; empty when there is no file */
  load(): Override[];
  /** saves atomically: a reader (or a restart after a crash) sees the old list or the new one, never a part */
  save(list: readonly Override[]): void;
}

/** fileOverrideStore keeps the list in a root-only file: written to a temporary file in the same folder, synced, renamed over. */
export function fileOverrideStore(path: string): OverrideStore {
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new ControlError('CONTROL_STATE', `cannot read state file ${path}: ${(err as Error).message} (choose another with --state-file)`);
      }
      return parseOverrides(text, path);
    },
    save(list) {
      try {
        writeFileAtomic(path, serializeOverrides(list), { dir: 0o700, file: 0o600 });
      } catch (err) {
        throw new ControlError('CONTROL_STATE', `cannot write state file ${path}: ${(err as Error).message} (choose another with --state-file)`);
      }
    },
  };
}

/** memoryOverrideStore keeps the state text in memory (tests); `fail` makes the next saves throw as a full disk would. */
export function memoryOverrideStore(path = '/var/lib/lvsd/overrides.json', text?: string): OverrideStore & { text: string | undefined; fail: boolean } {
  const store = {
    path,
    text,
    fail: false,
    load: (): Override[] => (store.text === undefined ? [] : parseOverrides(store.text, path)),
    save: (list: readonly Override[]) => {
      if (store.fail) throw new ControlError('CONTROL_STATE', `cannot write state file ${path}: ENOSPC (choose another with --state-file)`);
      store.text = serializeOverrides(list);
    },
  };
  return store;
}
