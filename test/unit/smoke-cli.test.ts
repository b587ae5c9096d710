import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

const names = (argv: string[]): string[] => buildProgram(argv).commands.map((c) => c.name());
const ALL = ['check', 'list', 'save', 'restore', 'realserver', 'apply', 'run', 'status', 'drain', 'disable', 'enable'];

describe('cli', () => {
  it('names itself lvsd and reports its version', () => {
    const p = buildProgram();
    expect(p.name()).toBe('lvsd');
    expect(p.version()).toBe('0.1.0');
  });

  it('builds only the group of the subcommand a command line names, by name or alias', () => {
    expect(names(['restore', '-v'])).toEqual(['list', 'save', 'restore']);
    expect(names(['ls'])).toEqual(['list', 'save', 'restore']);
    expect(names(['rs', 'up'])).toEqual(['realserver']);
    expect(names(['drain', '10.0.0.1:80', '10.0.0.2:80'])).toEqual(['run', 'status', 'drain', 'disable', 'enable']);
  });

  it('builds every subcommand for no command, help, the version and an unknown word', () => {
    for (const argv of [[], ['--help'], ['help', 'restore'], ['-V'], ['frobnicate'], ['constructor']]) expect(names(argv), argv.join(' ')).toEqual(ALL);
  });

  it('gives a subcommand built alone the same usage and options as with every other', () => {
    for (const name of ALL) {
      const alone = buildProgram([name]).commands.find((c) => c.name() === name)!;
      const full = buildProgram().commands.find((c) => c.name() === name)!;
      expect(alone.helpInformation(), name).toBe(full.helpInformation());
    }
  });
});
