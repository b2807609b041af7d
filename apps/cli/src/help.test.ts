/**
 * Every command of the built CLI, found by walking the `Commands:` sections of `--help` from the top,
 * prints an Example section (commander's own `help` command aside), and the examples run.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './cli.test-util.js';

/** The subcommand names listed in a help text's `Commands:` section. */
function subcommands(help: string): string[] {
  const section = /^Commands:\n((?: {2}.*\n?)+)/m.exec(help)?.[1] ?? '';
  return section
    .split('\n')
    .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

function walk(path: string[]): { path: string[]; help: string; status: number | null }[] {
  const r = cli([...path, '--help']);
  const here = { path, help: r.stdout, status: r.status };
  return [here, ...subcommands(r.stdout).flatMap((name) => walk([...path, name]))];
}

describe('--help', () => {
  const commands = walk([]);

  it('finds the verbs', () => {
    const paths = commands.map((c) => c.path.join(' '));
    expect(paths).toEqual(
      expect.arrayContaining(['', 'pfkey decode', 'pfkey encode', 'mh decode', 'mh encode', 'kernel replay']),
    );
  });

  it.each(commands.map((c) => [`mip6sec ${c.path.join(' ')}`.trim(), c] as const))(
    '%s --help prints an Example section',
    (_name, c) => {
      expect(c.status).toBe(0);
      expect(c.help).toMatch(/^Usage: mip6sec/);
      const example = c.help.search(/^Examples?:$/m);
      expect(example).toBeGreaterThan(0);
      // at least one command line using mip6sec under the heading
      expect(c.help.slice(example)).toMatch(/\n {2}\$ .*\bmip6sec /);
    },
  );

  // The examples of the byte and replay verbs that need nothing else (no pipe, file name or variable)
  // run as printed. compare's and ike's are left out: simulations of many seconds and daemons on real
  // sockets, which their own tests cover.
  const runnable = [
    ...new Set(
      commands.flatMap((c) =>
        [...c.help.matchAll(/^ {2}\$ mip6sec ([^#\n]*)/gm)]
          .map((m) => (m[1] ?? '').trim())
          .filter((line) => /^(pfkey|mh|kernel) /.test(line) && !/[|<>$'"]|\w\.[a-z]+\b/.test(line)),
      ),
    ),
  ];

  it('has self-contained examples to run', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(3);
  });

  it.each(runnable)('mip6sec %s runs as printed', (line) => {
    const r = cli(line.split(/\s+/));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toBe('');
  });
});
