// Unit tests: reading files — includes with globs and relative paths, @conditionals, $parameters — via the in-memory fs.
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { memoryFs } from '../../src/config/fs.js';
import { expandBraces, globPaths } from '../../src/config/glob.js';
import { readConfig, type ReadOptions } from '../../src/config/reader.js';

const ENTRY = '/etc/keepalived/keepalived.conf';

function read(files: Record<string, string>, opts: ReadOptions = {}) {
  const sink = new DiagnosticSink();
  const r = readConfig(ENTRY, memoryFs(files), sink, opts);
  return { lines: r.lines.map((l) => l.tokens.map((t) => t.value).join(' ')), where: r.lines.map((l) => `${l.file}:${l.line}`), files: r.files, diags: sink.list() };
}

describe('config reader: includes', () => {
  it('includes files matching a glob, relative to the including file, in sorted order', () => {
    const r = read({
      [ENTRY]: 'a\ninclude conf.d/*.conf\nz',
      '/etc/keepalived/conf.d/20-b.conf': 'b',
      '/etc/keepalived/conf.d/10-a.conf': 'a2',
      '/etc/keepalived/conf.d/README': 'not included',
    });
    expect(r.lines).toEqual(['a', 'a2', 'b', 'z']);
    expect(r.files).toEqual([ENTRY, '/etc/keepalived/conf.d/10-a.conf', '/etc/keepalived/conf.d/20-b.conf']);
    expect(r.diags).toEqual([]);
  });

  it('resolves a nested include relative to the file that contains it', () => {
    const r = read({
      [ENTRY]: 'include sub/x.conf',
      '/etc/keepalived/sub/x.conf': 'x\ninclude ../y/y.conf',
      '/etc/keepalived/y/y.conf': 'y',
    });
    expect(r.lines).toEqual(['x', 'y']);
    expect(r.where).toEqual(['/etc/keepalived/sub/x.conf:1', '/etc/keepalived/y/y.conf:1']);
  });

  it('follows absolute include paths and brace alternatives', () => {
    const r = read({ [ENTRY]: 'include /srv/{b,a}.conf', '/srv/a.conf': 'A', '/srv/b.conf': 'B' });
    expect(r.lines).toEqual(['B', 'A']);
  });

  it('lets an include sit inside a block, so its lines join that block', () => {
    const r = read({ [ENTRY]: 'virtual_server 1.1.1.1 80 {\n  include rs/*.conf\n}', '/etc/keepalived/rs/1.conf': 'real_server 2.2.2.2 80 {\n}' });
    expect(r.lines).toEqual(['virtual_server 1.1.1.1 80', '{', 'real_server 2.2.2.2 80', '{', '}', '}']);
  });

  it('warns (does not fail) when a plain include matches nothing, at the include line', () => {
    const r = read({ [ENTRY]: 'a\n  include missing/*.conf' });
    expect(r.diags).toMatchObject([{ severity: 'warning', code: 'INCLUDE_NO_MATCH', file: ENTRY, line: 2, column: 3 }]);
  });

  it('fails when includer/includea match nothing', () => {
    const r = read({ [ENTRY]: 'includea /nowhere.conf' });
    expect(r.diags).toMatchObject([{ severity: 'error', code: 'INCLUDE_NO_MATCH', line: 1 }]);
  });

  it('reports an include cycle instead of looping', () => {
    const r = read({ [ENTRY]: 'include self.conf', '/etc/keepalived/self.conf': 'x\ninclude self.conf' });
    expect(r.lines).toEqual(['x']);
    expect(r.diags).toMatchObject([{ code: 'INCLUDE_CYCLE', file: '/etc/keepalived/self.conf', line: 2 }]);
  });

  it('reports an unreadable entry file', () => {
    const r = read({});
    expect(r.diags).toMatchObject([{ severity: 'error', code: 'FILE_UNREADABLE', file: ENTRY, line: 1, column: 1 }]);
  });
});

describe('config reader: line endings', () => {
  it('reads CRLF files and a leading byte-order mark with correct line numbers', () => {
    const r = read({ [ENTRY]: '\uFEFFa 1\r\n\r\nb 2\r\n' });
    expect(r.lines).toEqual(['a 1', 'b 2']);
    expect(r.where).toEqual([`${ENTRY}:1`, `${ENTRY}:3`]);
  });
});

describe('config reader: glob', () => {
  it('expands nested braces in order', () => {
    expect(expandBraces('{foo/{,cat,dog},bar}')).toEqual(['foo/', 'foo/cat', 'foo/dog', 'bar']);
    expect(expandBraces('a\\{b,c}')).toEqual(['a\\{b,c}']);
  });

  it('matches *, ? and [...] per path segment and skips dot files', () => {
    const fs = memoryFs({ '/d/a1.conf': '', '/d/b2.conf': '', '/d/.hidden.conf': '', '/d/sub/c.conf': '' });
    expect(globPaths('/d/*.conf', { entries: () => undefined, kind: () => undefined })).toEqual([]);
    expect(fs.glob('/d/*.conf')).toEqual(['/d/a1.conf', '/d/b2.conf']);
    expect(fs.glob('/d/?1.conf')).toEqual(['/d/a1.conf']);
    expect(fs.glob('/d/[!a]*.conf')).toEqual(['/d/b2.conf']);
    expect(fs.glob('/*/sub/*.conf')).toEqual(['/d/sub/c.conf']);
  });
});

describe('config reader: conditional lines and parameters', () => {
  it('keeps @id lines only for the matching config id, and @^id lines for the others', () => {
    const text = '@lb1 router_id one\n@lb2 router_id two\n@^lb1 priority 50';
    expect(read({ [ENTRY]: text }, { configId: 'lb1' }).lines).toEqual(['router_id one']);
    expect(read({ [ENTRY]: text }, { configId: 'lb2' }).lines).toEqual(['router_id two', 'priority 50']);
    expect(read({ [ENTRY]: text }).lines).toEqual(['priority 50']);
  });

  it('substitutes $NAME and ${NAME} definitions, recursively and at use time', () => {
    const r = read({ [ENTRY]: '$BASE=10.2.${SUB}\n$SUB=0\n${BASE}.100/32\n$SUB=10\n${BASE}.100/32\npriority $PRIO\n$PRIO=5\npriority $PRIO' });
    expect(r.lines).toEqual(['10.2.0.100/32', '10.2.10.100/32', 'priority $PRIO', 'priority 5']);
  });

  it('expands a multi-line definition into several lines, each read again', () => {
    const r = read({ [ENTRY]: '$RS= \\\nreal_server 10.0.0.${N} 80 { \\\n  weight ${N} \\\n}\n$N=1\n$RS\n$N=2\n$RS' });
    expect(r.lines).toEqual(['real_server 10.0.0.1 80', '{', 'weight 1', '}', 'real_server 10.0.0.2 80', '{', 'weight 2', '}']);
  });

  it('provides ${_PWD}, ${_HASH} and ${_BANG}', () => {
    const r = read({ [ENTRY]: 'script "${_PWD}/check.sh ${_HASH}${_BANG}"' });
    expect(r.lines).toEqual(['script /etc/keepalived/check.sh #!']);
  });

  it('warns that ~SEQ lines are not supported and skips them', () => {
    const r = read({ [ENTRY]: '~SEQ(N, 1, 3) x $N\ny' });
    expect(r.lines).toEqual(['y']);
    expect(r.diags).toMatchObject([{ severity: 'warning', code: 'UNSUPPORTED_DIRECTIVE', line: 1, column: 1 }]);
  });
});
