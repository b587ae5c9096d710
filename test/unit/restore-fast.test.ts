import { describe, expect, it } from 'vitest';
import { fastRestoreLine } from '../../src/ipvs/format/restore-fast.js';
import { parseRestoreWords } from '../../src/ipvs/format/restore-line.js';

// a deterministic generator of lines near and inside the fast path's forms
function* lines(): Generator<string[]> {
  const addrs = ['10.0.0.1', '192.168.56.131', '0.0.0.0', '255.255.255.255', '1.2.3.4', '010.0.0.1', '10.1', '256.1.1.1', '1.2.3.04'];
  const ports = ['80', '1', '65535', '0', '65536', '080', '+80', 'http', ''];
  const scheds = ['rr', 'wrr', 'sh', 'nosuch', 'RR', 'a'.repeat(16), ''];
  const timeouts = ['1', '5', '300', '2678400', '2678401', '0', '05', '-1', 'x'];
  const weights = ['0', '1', '3', '65535', '65536', '2147483647', '01', '-1', ''];
  for (const p of ['-t', '-u', '-f', '--tcp-service']) {
    for (const a of addrs) for (const port of ports) {
      const svc = `${a}:${port}`;
      for (const s of scheds) {
        yield ['-A', p, svc, '-s', s];
        for (const t of timeouts) yield ['-A', p, svc, '-s', s, '-p', t];
      }
      yield ['-E', p, svc, '-s', 'rr'];
      for (const f of ['-g', '-m', '-i', '-x']) for (const w of weights) {
        yield ['-a', p, svc, '-r', `10.2.0.1:${port}`, f, '-w', w];
        yield ['-a', p, svc, '-r', '10.2.0.1:8080', f, '-w', w];
        yield ['-a', p, svc, '-r', '10.2.0.1', f, '-w', w];
      }
      yield ['-a', p, svc, '-r', '10.2.0.1:80', '-w', '1', '-g'];
    }
  }
}

describe('restore fast path', () => {
  it('gives exactly what the full ipvsadm emulation gives for every line it takes, and takes the common ones', () => {
    let taken = 0;
    let total = 0;
    for (const words of lines()) {
      total++;
      const fast = fastRestoreLine(words);
      if (!fast) continue;
      taken++;
      const full = parseRestoreWords(words);
      expect(full.problems, words.join(' ')).toEqual([]);
      expect(fast, words.join(' ')).toStrictEqual(full.op);
    }
    expect(total).toBeGreaterThan(10_000);
    expect(taken).toBeGreaterThan(500);
    expect(taken).toBeLessThan(total / 2);
  });

  it('takes the lines ipvsadm -S -n writes for a plain DR table', () => {
    expect(fastRestoreLine(['-A', '-t', '192.168.56.131:80', '-s', 'wrr', '-p', '5'])).toMatchObject({ op: 'add-service' });
    expect(fastRestoreLine(['-a', '-t', '192.168.56.131:80', '-r', '192.168.56.101:80', '-g', '-w', '1'])).toMatchObject({ op: 'add-dest' });
    expect(fastRestoreLine(['-A', '-t', '[2001:db8::1]:80', '-s', 'rr'])).toBeUndefined();
  });
});
