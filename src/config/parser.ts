// Config layer (parser): logical lines to a tree of statements and `{ … }` blocks, checking that braces balance.
import type { DiagnosticSink } from './diagnostics.js';
import type { LogicalLine, Token } from './lexer.js';

/** Block is the `{ … }` body of a statement. */
export interface Block {
  readonly open: Token;
  /** undefined when the file ended before the block was closed */
  readonly close: Token | undefined;
  readonly children: readonly Statement[];
}

/** Statement is one keyword line with its arguments and, when a `{` follows it, its block. */
export interface Statement {
  readonly keyword: Token;
  readonly args: readonly Token[];
  /** the logical line, for keywords (scripts) that re-read it with shell-like quoting */
  readonly line: LogicalLine;
  readonly block: Block | undefined;
}

interface OpenBlock {
  readonly open: Token;
  readonly owner: MutableStatement | undefined;
  readonly children: MutableStatement[];
}

interface MutableStatement {
  keyword: Token;
  args: readonly Token[];
  line: LogicalLine;
  block: Block | undefined;
}

/** parseBlocks builds the statement tree; a `{` belongs to the statement on the logical line just before it. */
export function parseBlocks(lines: readonly LogicalLine[], sink: DiagnosticSink): readonly Statement[] {
  const root: MutableStatement[] = [];
  const stack: OpenBlock[] = [];
  let previous: MutableStatement | undefined;
  const container = (): MutableStatement[] => stack[stack.length - 1]?.children ?? root;

  for (const line of lines) {
    const first = line.tokens[0];
    if (!first) continue;
    if (first.kind === 'open') {
      const owner = previous && !previous.block ? previous : undefined;
      if (!owner) {
        sink.error('UNEXPECTED_OPEN_BRACE', first, "'{' without a keyword before it", "a block starts on the keyword's line, e.g. 'real_server 10.0.0.1 80 {'");
      }
      stack.push({ open: first, owner, children: [] });
      previous = undefined;
      continue;
    }
    if (first.kind === 'close') {
      const top = stack.pop();
      if (!top) {
        sink.error('UNEXPECTED_CLOSE_BRACE', first, "extra '}' with no block to close", 'remove it or add the missing opening {');
      } else if (top.owner) {
        top.owner.block = { open: top.open, close: first, children: top.children };
      }
      previous = undefined;
      continue;
    }
    const stmt: MutableStatement = { keyword: first, args: line.tokens.slice(1), line, block: undefined };
    container().push(stmt);
    previous = stmt;
  }

  while (stack.length) {
    const top = stack.pop();
    if (!top) break;
    const name = top.owner ? `'${top.owner.keyword.value}' block` : 'block';
    sink.error('UNCLOSED_BLOCK', top.open, `${name} opened here is never closed`, "add the missing '}'");
    if (top.owner) top.owner.block = { open: top.open, close: undefined, children: top.children };
  }
  return root;
}
