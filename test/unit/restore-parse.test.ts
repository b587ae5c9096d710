import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sameServiceKey, formatList } from '../../src/ipvs/format/list.js';
import { formatSave } from '../../src/ipvs/format/save.js';
import { type RestoreDiagnostic, parseRestore } from '../../src/ipvs/restore-parse.js';
import type { Destination, IpvsOp, Table } from '../../src/ipvs/types.js';
import { canonicalAddress } from '../../src/util/addr.js';
import { info, inKernelOrder } from '../fixtures/ipvsadm/table.js';

const dir = new URL('../fixtures/ipvsadm/restore/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');

/** Captured outcome of `ipvsadm -C; ipvsadm -R < NAME.in; ipvsadm -S -n` (see capture.sh). */
function outcome(name: string) {
  const text = read(`${name}.out`);
  const part = (from: string, to?: string) => text.slice(text.indexOf(from) + from.length + 1, to ? text.indexOf(to) : undefined);
  return { rc: Number(/^rc=(\d+)/.exec(text)?.[1]), stdout: part('--- stdout', '--- stderr'), stderr: part('--- stderr', '--- save'), save: part('--- save') };
}

/** A small model of the kernel table with the error messages ipvsadm prints for refused writes. */
class Model {
  readonly services: { service: Extract<IpvsOp, { op: 'add-service' }>['service']; dests: Destination[] }[] = [];
  private find(key: Parameters<typeof sameServiceKey>[0]) {
    return this.services.find((e) => sameServiceKey(e.service.key, key));
  }
  apply(op: IpvsOp): string | undefined {
    const same = (a: { family: string; address: string; port: number }, b: typeof a) => a.family === b.family && a.port === b.port && canonicalAddress(a.family as 'inet', a.address) === canonicalAddress(b.family as 'inet', b.address);
    switch (op.op) {
      case 'add-service':
        if (this.find(op.service.key)) return 'Service already exists';
        this.services.push({ service: op.service, dests: [] });
        return undefined;
      case 'edit-service': {
        const e = this.find(op.service.key);
        if (!e) return 'No such service';
        e.service = op.service;
        return undefined;
      }
      case 'del-service': {
        const e = this.find(op.key);
        if (!e) return 'No such service';
        this.services.splice(this.services.indexOf(e), 1);
        return undefined;
      }
      case 'add-dest':
      case 'edit-dest':
      case 'del-dest': {
        const e = this.find(op.service);
        if (!e) return 'Service not defined';
        const i = e.dests.findIndex((d) => same(d, op.dest));
        if (op.op === 'add-dest') {
          if (i >= 0) return 'Destination already exists';
          e.dests.unshift(op.dest); // the kernel lists the newest destination first
        } else if (i < 0) return 'No such destination';
        else if (op.op === 'edit-dest') e.dests[i] = op.dest;
        else e.dests.splice(i, 1);
        return undefined;
      }
      case 'flush':
        this.services.length = 0;
        return undefined;
      case 'zero':
        return op.service && !this.find(op.service) ? 'No such service' : undefined;
      default:
        return undefined;
    }
  }
  table(): Table {
    return { services: this.services.map((e) => ({ service: e.service, dests: [...e.dests] })) };
  }
}

/** Replays a parse the way ipvsadm -R would act on the same input; returns its stderr lines, stdout and final table. */
function replay(input: string) {
  const r = parseRestore(input);
  const model = new Model();
  const stderr: string[] = [];
  let stdout = '';
  let crashed = false;
  const lines = [...new Set([...r.ops.map((o) => o.line), ...r.diagnostics.map((d) => d.line)])].sort((a, b) => a - b);
  for (const line of lines) {
    const diags = r.diagnostics.filter((d) => d.line === line);
    const error = diags.find((d) => d.severity === 'error');
    if (error) {
      if (error.ipvsadm === 'crashes') {
        crashed = true;
        break;
      }
      if (error.ipvsadm === 'accepts') continue; // ipvsadm applies it silently; lvsd cannot represent it
      stderr.push(error.message);
      if (error.ipvsadm === 'aborts') break;
      continue;
    }
    if (diags.some((d) => d.code === 'listing-ignored')) stdout += formatList(model.table(), info);
    if (diags.some((d) => d.ipvsadm === 'ignores')) continue;
    const op = r.ops.find((o) => o.line === line);
    const refused = op && model.apply(op.op);
    if (refused) stderr.push(refused);
  }
  return { stderr, stdout, table: model.table(), save: formatSave(model.table()), crashed, parse: r };
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.in'))
  .map((f) => f.slice(0, -3))
  .sort();

describe('restore input read as ipvsadm -R read it', () => {
  it('has the captured cases', () => expect(cases.length).toBeGreaterThan(50));
  it.each(cases.filter((c) => !read(`${c}.in`).startsWith('#')))('%s: same messages, output and resulting table', (name) => {
    const want = outcome(name);
    const got = replay(read(`${name}.in`));
    if (got.crashed) {
      expect(want.rc).toBe(139);
      return;
    }
    expect(got.stderr).toEqual(want.stderr.split('\n').filter((l) => l));
    expect(got.stdout).toBe(want.stdout);
    const accepted = got.parse.diagnostics.filter((d) => d.ipvsadm === 'accepts');
    if (accepted.length === 0) expect(got.save).toBe(want.save);
    else expect(want.rc).toBe(0); // ipvsadm applied a line lvsd cannot represent
  });
});

describe('comments', () => {
  const commented = cases.filter((c) => read(`${c}.in`).startsWith('#'));
  it.each(commented)('%s: a line starting with # is a comment for lvsd (ipvsadm -R rejects it; ipvsadm-restore drops it)', (name) => {
    expect(outcome(name).stderr).toBe("Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n");
    expect(parseRestore(read(`${name}.in`))).toEqual({ ops: [], diagnostics: [] });
  });
  it('reports a comment that does not start in column 1, with ipvsadm\'s message', () => {
    const d = parseRestore('  # indented\n').diagnostics[0];
    expect(d).toMatchObject({ line: 1, column: 3, code: 'usage', ipvsadm: 'aborts' });
    expect(d?.hint).toMatch(/column 1/);
  });
});

describe('restore of a whole saved table', () => {
  it('reads every line of ipvsadm -S -n output but the empty -b ipvsadm writes for flag 3 on sh', () => {
    const r = parseRestore(readFileSync(new URL('../fixtures/ipvsadm/roundtrip/save.in', import.meta.url), 'utf8'));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.message)).toEqual(['-b: missing argument']); // ipvsadm's own "-b " quirk
    expect(r.ops.length).toBeGreaterThan(60);
  });
  it('restores to a table that saves back as ipvsadm did, once in the kernel\'s order', () => {
    const input = readFileSync(new URL('../fixtures/ipvsadm/roundtrip/save.in', import.meta.url), 'utf8');
    const restored = inKernelOrder(replay(input).table, readFileSync(new URL('../fixtures/ipvsadm/roundtrip/Ln-nosort-after.txt', import.meta.url), 'utf8'));
    expect(formatSave(restored)).toBe(readFileSync(new URL('../fixtures/ipvsadm/roundtrip/save.out', import.meta.url), 'utf8'));
  });
  it('rejects the negative fwmarks ipvsadm saves for marks of 2^31 and more, as ipvsadm -R does', () => {
    const r = parseRestore(readFileSync(new URL('../fixtures/ipvsadm/save.txt', import.meta.url), 'utf8'));
    const first = r.diagnostics.find((d) => d.severity === 'error') as RestoreDiagnostic;
    expect(`${first.message}\nrc=2\n`).toBe(readFileSync(new URL('../fixtures/ipvsadm/roundtrip/restore-negative-fwmark.out', import.meta.url), 'utf8'));
  });
});
