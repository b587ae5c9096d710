// Metrics layer (pure): a reader of Prometheus text exposition — samples and family types — for tests and tools that check a scrape.

/** Sample is one exposition line: metric name, labels, value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Exposition is a parsed scrape: its samples and each family's declared type. */
export interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

/** parseExposition reads Prometheus text format 0.0.4; a line it cannot read is an error naming the line. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      return;
    }
    const m = LINE.exec(line);
    if (!m) throw new Error(`exposition line ${i + 1}: cannot read ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    let read = 0;
    for (let l = LABEL.exec(body); l; l = LABEL.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      read = LABEL.lastIndex;
    }
    if (body.slice(read).trim() !== '') throw new Error(`exposition line ${i + 1}: cannot read labels ${JSON.stringify(body)}`);
    // as Prometheus reads them (Go's ParseFloat): NaN and Inf in any case
    const v = m[3]!.toLowerCase();
    const value = v === '+inf' || v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : Number(v);
    if (Number.isNaN(value) && v !== 'nan') throw new Error(`exposition line ${i + 1}: value ${v} is not a number`);
    samples.push({ name: m[1]!, labels, value });
  });
  return { samples, types };
}

/** select is the samples named `name` whose labels include every pair of `match`. */
export function select(e: Exposition, name: string, match: Readonly<Record<string, string>> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** total is the sum of the selected samples' values (0 when none). */
export function total(e: Exposition, name: string, match: Readonly<Record<string, string>> = {}): number {
  return select(e, name, match).reduce((a, s) => a + s.value, 0);
}
