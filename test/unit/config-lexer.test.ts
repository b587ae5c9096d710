// Unit tests: keepalived line rules — comments, quotes, braces, words, script splitting.
import { describe, expect, it } from 'vitest';
import { decomment, shellWords, spanOf, splitBrace, tokenize, type Span } from '../../src/config/lexer.js';

function words(s: Span): string[] {
  return tokenize(s, 'f', 1).tokens.map((t) => t.value);
}

/** logical splits a physical line into keepalived's logical lines (brace alone, or brace-free text). */
function logical(line: string): string[] {
  const out: string[] = [];
  let s: Span | undefined = decomment(spanOf(line)).span;
  while (s && s.text) {
    const { head, residue } = splitBrace(s);
    out.push(head.text);
    s = residue;
  }
  return out;
}

describe('config lexer: comments', () => {
  it('cuts a # or ! comment anywhere in a line', () => {
    expect(decomment(spanOf('  weight 3 # heavier')).span.text).toBe('weight 3');
    expect(decomment(spanOf('weight 3! heavier')).span.text).toBe('weight 3');
    expect(decomment(spanOf('! whole line')).span.text).toBe('');
  });

  it('keeps # and ! inside double quotes', () => {
    expect(decomment(spanOf('script "echo #1 !2" # c')).span.text).toBe('script "echo #1 !2"');
  });

  it('turns \\# and \\! outside quotes into literal characters', () => {
    expect(decomment(spanOf('auth_pass ab\\#cd\\!e')).span.text).toBe('auth_pass ab#cd!e');
  });

  it('keeps the source column of every character after trimming', () => {
    const { span } = decomment(spanOf('\t  weight 3'));
    expect(span.cols[0]).toBe(4);
    expect(tokenize(span, 'f', 7).tokens.map((t) => [t.value, t.line, t.column])).toEqual([
      ['weight', 7, 4],
      ['3', 7, 11],
    ]);
  });

  it('reports an unterminated quote at its opening column', () => {
    expect(decomment(spanOf('script "abc')).problem).toEqual({ column: 8, message: 'unterminated quoted string' });
  });

  it('flags a trailing backslash as a continuation', () => {
    const r = decomment(spanOf('$X= a \\'));
    expect(r.continued).toBe(true);
    expect(r.span.text).toBe('$X= a\\');
  });
});

describe('config lexer: braces', () => {
  it('splits a brace after a word into its own logical line', () => {
    expect(logical('real_server 1.2.3.4 80 {')).toEqual(['real_server 1.2.3.4 80', '{']);
    expect(logical('real_server 1.2.3.4 80{')).toEqual(['real_server 1.2.3.4 80', '{']);
  });

  it('splits a one-line block into keyword, brace, body and brace', () => {
    expect(logical('TCP_CHECK { connect_timeout 3 }')).toEqual(['TCP_CHECK', '{', 'connect_timeout 3', '}']);
    expect(logical('} }')).toEqual(['}', '}']);
  });

  it('does not split at braces inside double quotes', () => {
    expect(logical('notify_up "/bin/echo {x}" {')).toEqual(['notify_up "/bin/echo {x}"', '{']);
  });

  it('gives a lone brace the open or close kind', () => {
    expect(tokenize(spanOf('{'), 'f', 1).tokens[0]?.kind).toBe('open');
    expect(tokenize(spanOf('}'), 'f', 1).tokens[0]?.kind).toBe('close');
  });
});

describe('config lexer: words and quotes', () => {
  it('splits on blanks and keeps a double-quoted string with spaces as one word', () => {
    expect(words(spanOf('script "killall -0 nginx"  root'))).toEqual(['script', 'killall -0 nginx', 'root']);
  });

  it('ends an unquoted word at a double quote, as keepalived does', () => {
    expect(words(spanOf('abc"def ghi"'))).toEqual(['abc', 'def ghi']);
  });

  it('treats single quotes as ordinary characters in keyword arguments', () => {
    expect(words(spanOf("auth_pass 'x y'"))).toEqual(['auth_pass', "'x", "y'"]);
  });

  it('marks quoted words and reports an unmatched quote', () => {
    const t = tokenize(spanOf('a "b c"'), 'f', 1);
    expect(t.tokens.map((x) => x.quoted)).toEqual([false, true]);
    expect(tokenize(spanOf('a "b'), 'f', 1).problem?.message).toBe('unmatched quote');
  });
});

describe('config lexer: script words', () => {
  it('splits a command with single and double quotes like a shell', () => {
    expect(shellWords("/bin/sh -c 'test -w /var/x' \"a b\"", true)).toEqual(['/bin/sh', '-c', 'test -w /var/x', 'a b']);
  });

  it('joins quoted and unquoted parts of one word', () => {
    expect(shellWords('abcd" efg h jkl "mnop', true)).toEqual(['abcd efg h jkl mnop']);
  });

  it('applies escapes only when asked', () => {
    expect(shellWords('a\\tb \\x41 \\101 \\"q', true)).toEqual(['a\tb', 'A', 'A', '"q']);
    expect(shellWords('a\\tb', false)).toEqual(['a\\tb']);
  });

  it('rejects an unterminated quote', () => {
    expect(shellWords('"abc', true)).toBeUndefined();
  });
});
