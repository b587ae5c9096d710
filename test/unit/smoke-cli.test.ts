import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

describe('cli', () => {
  it('names itself lvsd and reports its version', () => {
    const p = buildProgram();
    expect(p.name()).toBe('lvsd');
    expect(p.version()).toBe('0.1.0');
  });
});
