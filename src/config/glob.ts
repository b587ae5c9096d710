// Config layer: glob(3)-style pattern matching (GLOB_BRACE, *, ?, [...]) over a directory-listing interface.
import { posix } from 'node:path';

/** DirLister is the little a glob walk needs from a filesystem. */
export interface DirLister {
  /** entries returns the names in a directory, or undefined when it is not a readable directory. */
  entries(dir: string): readonly string[] | undefined;
  /** kind tells whether a path is a file, a directory or missing. */
  kind(path: string): 'file' | 'dir' | undefined;
}

/** expandBraces expands csh-style braces (`{a,b}`, nested) as glob(3) with GLOB_BRACE does; backslash escapes are kept. */
export function expandBraces(pattern: string): string[] {
  const open = findBrace(pattern);
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const cuts = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const alt = pattern.slice((cuts[k] ?? 0) + 1, cuts[k + 1]);
    out.push(...expandBraces(head + alt + tail));
  }
  return out;
}

function findBrace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '{') return i;
  }
  return -1;
}

/** hasMagic tells whether a path segment contains unescaped glob wildcards. */
export function hasMagic(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** segmentRegExp compiles one path segment of a glob pattern to an anchored regular expression. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] ?? '';
    if (c === '\\' && i + 1 < segment.length) {
      re += escapeRe(segment[++i] ?? '');
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

/** globPaths returns the files matching an absolute pattern: each brace alternative's matches sorted, in alternative order, without duplicates. */
export function globPaths(pattern: string, fs: DirLister): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const alt of expandBraces(pattern)) {
    for (const p of walk(alt, fs).sort()) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    }
  }
  return out;
}

function walk(pattern: string, fs: DirLister): string[] {
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current: string[] = [pattern.startsWith('/') ? '/' : '.'];
  const rest = pattern.startsWith('/') ? segments.slice(1) : segments;
  for (const seg of rest) {
    const next: string[] = [];
    for (const dir of current) {
      if (!hasMagic(seg)) {
        next.push(posix.join(dir, unescape(seg)));
        continue;
      }
      const re = segmentRegExp(seg);
      for (const name of fs.entries(dir) ?? []) {
        if (name.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(name)) next.push(posix.join(dir, name));
      }
    }
    current = next;
  }
  return current.filter((p) => fs.kind(p) === 'file');
}
