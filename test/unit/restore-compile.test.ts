import { describe, expect, it } from 'vitest';
import { encodeDestOp, isDestOp } from '../../src/ipvs/codec-dest.js';
import { compiledLines, compiledSource, compileRestore, type CompiledRestore } from '../../src/ipvs/codec-restore.js';
import { encodeRequest, opToRequest } from '../../src/ipvs/codec.js';
import { parseRestore } from '../../src/ipvs/restore-parse.js';
import type { IpvsOp } from '../../src/ipvs/types.js';

// lines near and inside the compiler's forms, as text (spacing and line ends included)
function* lines(): Generator<string> {
  const addrs = ['10.0.0.1', '192.168.56.131', '0.0.0.0', '255.255.255.255', '010.0.0.1', '10.1', '256.1.1.1', '1.2.3.04', '1.2.3.4.5'];
  const ports = ['80', '1', '65535', '0', '65536', '080', 'http', ''];
  const scheds = ['rr', 'wrr', 'RR', 'a'.repeat(15), 'a'.repeat(16), ''];
  const timeouts = ['1', '300', '2678400', '2678401', '0', '05', 'x'];
  const weights = ['0', '3', '65535', '65536', '01', '-1', ''];
  for (const p of ['-t', '-u', '-f']) {
    for (const a of addrs) for (const port of ports) {
      const svc = `${a}:${port}`;
      for (const s of scheds) {
        yield `-A ${p} ${svc} -s ${s}`;
        for (const t of timeouts) yield `-A ${p} ${svc} -s ${s} -p ${t}`;
      }
      yield `-E ${p} ${svc} -s rr`;
      for (const f of ['-g', '-m', '-i', '-x']) for (const w of weights) {
        yield `-a ${p} ${svc} -r 10.2.0.1:${port} ${f} -w ${w}`;
        yield `-a ${p} ${svc} -r 10.2.0.1:8080 ${f} -w ${w}`;
      }
    }
  }
  yield '-a -t 10.0.0.1:80 -r 10.2.0.1:80 -g -w 1 ';
  yield '-a -t 10.0.0.1:80 -r 10.2.0.1:80 -g  -w 1';
  yield '-a -t 10.0.0.1:80 -r 10.2.0.1:80 -g -w 1\r';
  yield '-a\t-t 10.0.0.1:80 -r 10.2.0.1:80 -g -w 1';
  yield 'ipvsadm -a -t 10.0.0.1:80 -r 10.2.0.1:80 -g -w 1';
  yield ' -a -t 10.0.0.1:80 -r 10.2.0.1:80 -g -w 1';
}

/** what the full parser's operations encode to with codec.ts and codec-dest.ts */
function reference(ops: readonly IpvsOp[], family: number, seq: (i: number) => number, ack: (i: number) => boolean): Buffer {
  const buf = Buffer.alloc(ops.length * 512);
  let o = 0;
  ops.forEach((op, i) => {
    o = isDestOp(op) ? encodeDestOp(op, family, seq(i), ack(i), buf, o) : encodeRequest(opToRequest(op), family, seq(i), ack(i), buf, o);
  });
  return buf.subarray(0, o);
}

function sent(c: CompiledRestore, family: number, seq: (i: number) => number, ack: (i: number) => boolean): Buffer {
  const src = compiledSource(c, family);
  let size = 0;
  for (let i = 0; i < src.count; i++) size += src.length(i);
  // filled with garbage, as the session's reused datagram buffer is: every byte must be written
  const buf = Buffer.alloc(size, 0xa5);
  let o = 0;
  for (let i = 0; i < src.count; i++) o = src.write(i, buf, o, seq(i), ack(i));
  expect(o).toBe(size);
  return buf;
}

describe('restore compiled from bytes', () => {
  it('writes exactly the messages of the full parser for every line it takes, and leaves the rest to it', () => {
    let taken = 0;
    let total = 0;
    for (const line of lines()) {
      total++;
      const c = compileRestore(Buffer.from(`${line}\n`));
      if (!c) continue;
      taken++;
      const full = parseRestore(`${line}\n`);
      expect(full.diagnostics, line).toEqual([]);
      expect(c.count, line).toBe(full.ops.length);
      const seq = (i: number): number => 1000 + i;
      const ack = (i: number): boolean => i === c.count - 1;
      expect(sent(c, 0x1b, seq, ack).equals(reference(full.ops.map((r) => r.op), 0x1b, seq, ack)), line).toBe(true);
    }
    expect(total).toBeGreaterThan(3_000);
    expect(taken).toBeGreaterThan(200);
    expect(taken).toBeLessThan(total / 2);
  });

  it('compiles a saved table with comments and blank lines, each message with its input line', () => {
    const text = ['# saved', '-A -t 10.1.0.1:80 -s wrr', '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 1', '', '-A -u 10.1.0.2:53 -s rr -p 300',
      '-a -u 10.1.0.2:53 -r 10.2.0.2:5353 -m -w 0', '-a -t 10.1.0.1:80 -r 10.2.0.3:80 -i -w 65535'].join('\n');
    const c = compileRestore(Buffer.from(text))!;
    const full = parseRestore(text);
    expect(full.diagnostics).toEqual([]);
    const lines = compiledLines(c, Array.from({ length: c.count }, (_, i) => i));
    expect(lines).toEqual(full.ops.map((r) => r.line));
    expect(lines).toEqual([2, 3, 5, 6, 7]);
    const seq = (i: number): number => 0xfffffff0 + i;
    const ack = (i: number): boolean => i % 2 === 0;
    expect(sent(c, 0x22, seq, ack).equals(reference(full.ops.map((r) => r.op), 0x22, seq, ack))).toBe(true);
  });

  it('gives up on the whole input when one line is not in its forms, so the full parser reports it', () => {
    const good = '-A -t 10.1.0.1:80 -s wrr\n-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 1\n';
    expect(compileRestore(Buffer.from(good))?.count).toBe(2);
    expect(compileRestore(Buffer.from(`${good}-a -t 10.1.0.1:80 -r 10.2.0.1:81 -g -w 1\n${good}`))).toBeUndefined();
    expect(compileRestore(Buffer.from(`${good}-a -t 10.1.0.1:80 -r 10.2.0.300:80 -g -w 1\n`))).toBeUndefined();
  });

  it('grows its buffers for a large table and keeps every message', () => {
    let text = '';
    for (let i = 0; i < 500; i++) {
      text += `-A -t 10.1.${i >> 8}.${i & 255}:80 -s wrr\n`;
      for (let j = 0; j < 10; j++) text += `-a -t 10.1.${i >> 8}.${i & 255}:80 -r 10.2.${j}.${(i % 250) + 1}:80 -g -w ${j + 1}\n`;
    }
    const c = compileRestore(Buffer.from(text))!;
    const full = parseRestore(text);
    expect(c.count).toBe(5500);
    expect(compiledLines(c, [0, 10, 5499])).toEqual([1, 11, 5500]);
    const seq = (i: number): number => i;
    const ack = (i: number): boolean => i % 100 === 99;
    expect(sent(c, 0x1b, seq, ack).equals(reference(full.ops.map((r) => r.op), 0x1b, seq, ack))).toBe(true);
  });
});
