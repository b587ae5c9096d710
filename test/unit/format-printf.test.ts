import { describe, expect, it } from 'vitest';
import { cString, int32, largeNum, left, right } from '../../src/ipvs/format/printf.js';

describe('ipvsadm human-readable counters (print_largenum)', () => {
  it.each([
    [0n, '        0'],
    [99_999_999n, ' 99999999'],
    [100_000_000n, '  100000K'],
    [999_999_999n, '  999999K'],
    [1_000_000_000n, '    1000M'],
    [99_999_999_999n, '   99999M'],
    [100_000_000_000n, '     100G'],
    [99_999_999_999_999n, '   99999G'],
    [100_000_000_000_000n, '     100T'],
    [18_446_744_073_709_551_615n, '18446744T'], // fills the column: no space before it
  ])('%s prints as %j', (n, want) => {
    expect(largeNum(n, false)).toBe(want);
  });
  it('rounds down, never up', () => {
    expect(largeNum(123_999_999n, false)).toBe('  123999K');
    expect(largeNum(1_999_999_999n, false)).toBe('    1999M');
  });
  it.each([
    [0n, '        0'],
    [12_345_678n, ' 12345678'],
    [123_456_789n, ' 123456789'],
    [18_446_744_073_709_551_615n, ' 18446744073709551615'],
  ])('%s prints exactly as %j with --exact', (n, want) => {
    expect(largeNum(n, true)).toBe(want);
  });
  it('keeps every shortened column 9 characters wide', () => {
    for (let n = 1n; n < 1n << 64n; n *= 7n) expect(largeNum(n, false)).toHaveLength(9);
  });
});

describe('printf conversions', () => {
  it('pads %-Ns on the right and %Ns on the left, never truncating', () => {
    expect(left('ab', 4)).toBe('ab  ');
    expect(right('ab', 4)).toBe('  ab');
    expect(left('abcdef', 4)).toBe('abcdef');
  });
  it('prints unsigned 32-bit values as %d does', () => {
    expect(int32(4294967295)).toBe(-1);
    expect(int32(3000000000)).toBe(-1294967296);
    expect(int32(2147483647)).toBe(2147483647);
  });
  it('prints a NULL string as glibc does', () => {
    expect(cString(undefined)).toBe('(null)');
  });
});
