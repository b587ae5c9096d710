// Format layer: the few printf conversions ipvsadm's listings use, and its human-readable big-number columns.

/** left is printf "%-Ns": the text padded with spaces on the right to at least width characters. */
export function left(text: string | number | bigint, width: number): string {
  return String(text).padEnd(width, ' ');
}

/** right is printf "%Ns": the text padded with spaces on the left to at least width characters. */
export function right(text: string | number | bigint, width: number): string {
  return String(text).padStart(width, ' ');
}

/** int32 is a C "%d" of an unsigned 32-bit value: values of 2^31 and above print negative (fwmark 4294967295 -> -1). */
export function int32(value: number): number {
  return value | 0;
}

/** cString is what glibc's printf "%s" prints for a string that may be NULL. */
export function cString(text: string | undefined): string {
  return text ?? '(null)';
}

/**
 * largeNum is ipvsadm's print_largenum, one column of --stats/--rate.
 * Exact: the number right-aligned in 9 characters, or preceded by one space when it has more than 8 digits.
 * Otherwise: below 10^8 the number in 9 characters; below 10^9 thousands with "K"; below 10^11 millions with "M";
 * below 10^14 billions with "G"; else trillions with "T" (integer division, 8 characters plus the suffix).
 */
export function largeNum(value: bigint, exact: boolean): string {
  const s = value.toString();
  if (exact) return right(s, s.length <= 8 ? 9 : s.length + 1);
  if (value < 100_000_000n) return right(s, 9);
  if (value < 1_000_000_000n) return right(value / 1_000n, 8) + 'K';
  if (value < 100_000_000_000n) return right(value / 1_000_000n, 8) + 'M';
  if (value < 100_000_000_000_000n) return right(value / 1_000_000_000n, 8) + 'G';
  return right(value / 1_000_000_000_000n, 8) + 'T';
}
