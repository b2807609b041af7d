/** `mip6sec compare`: the main job, the same scenario under each interface design, side by side. */

import { type ComparisonResult, runComparison, SCENARIOS, STRATEGIES } from '@mip6sec/lab';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { run, stringify } from '../io.js';
import { renderComparison } from '../table.js';

const int = (name: string, min: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return Number(v);
};
const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
  }
  return n;
};

export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description('run one scenario under each interface design and print the figures side by side')
    .option('--strategies <list>', `comma-separated, from ${STRATEGIES.join(', ')}`, STRATEGIES.join(','))
    .addOption(new Option('--scenario <name>', 'the scenario').choices([...SCENARIOS]).default('handover'))
    .option('--mns <n>', 'number of mobile nodes', int('--mns', 1), 1)
    .option('--handovers <k>', 'handovers per mobile node', int('--handovers', 1), 20)
    .option('--rtt <ms>', 'MN-HA round-trip time in ms', num('--rtt', 0, 10_000), 50)
    .option(
      '--loss <p>',
      'packet loss probability on the radio links (0.01 = 1%)',
      num('--loss', 0, 0.5),
      0.01,
    )
    .option('--seed <s>', 'seed of the simulation (same seed, same run)', int('--seed', 0), 1)
    .option(
      '--pcap <file>',
      'write the MN-HA traffic of the first strategy as a pcap (one file per strategy: FILE.<strategy>.pcap)',
    )
    .option('--keys', 'with --pcap, also write the ESP SA table and IKE keys Wireshark needs to decrypt')
    .option('--no-reconcile', 'switch the MIGRATE reconciliation off (to see what a lost MIGRATE does)')
    .option('--json', 'print {"strategies": {...}} as JSON instead of the table')
    .addHelpText(
      'after',
      `
Examples:
  $ mip6sec compare
  $ mip6sec compare --handovers 200 --rtt 50 --loss 0.01 --seed 7 --json
  $ mip6sec compare --scenario lost-migrate --strategies migrate --no-reconcile
  $ mip6sec compare --scenario storm --mns 100 --handovers 5 --pcap /tmp/storm

Reading the table: each column is one interface design run on the same network and seed.
interruption is the time from the link change until protected payload reaches the MN again;
IKE exchanges counts IKE requests that completed after bootstrap; kernel messages counts PF_KEY
messages across the user/kernel boundary on every host; violations counts invariant failures
(each one is listed below the table).`,
    )
    .action(
      (opts: {
        strategies: string;
        scenario: string;
        mns: number;
        handovers: number;
        rtt: number;
        loss: number;
        seed: number;
        pcap?: string;
        keys?: boolean;
        reconcile: boolean;
        json?: boolean;
      }) =>
        run(async () => {
          const strategies = opts.strategies
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          for (const s of strategies) {
            if (!(STRATEGIES as readonly string[]).includes(s)) {
              throw new InvalidArgumentError(
                `unknown strategy ${JSON.stringify(s)} (known: ${STRATEGIES.join(', ')})`,
              );
            }
          }
          const total = strategies.length * opts.mns * opts.handovers;
          const bar =
            process.stderr.isTTY && !opts.json && total >= 20
              ? new SingleBar({
                  format: '{label} [{bar}] {value}/{total} handovers',
                  stream: process.stderr,
                  hideCursor: true,
                })
              : undefined;
          bar?.start(total, 0, { label: strategies[0] ?? '' });
          let done = 0;
          let result: ComparisonResult;
          try {
            result = await runComparison({
              strategies,
              scenario: opts.scenario,
              mns: opts.mns,
              handovers: opts.handovers,
              rttMs: opts.rtt,
              loss: opts.loss,
              seed: opts.seed,
              reconcile: opts.reconcile,
              ...(opts.pcap ? { pcap: opts.pcap } : {}),
              keys: opts.keys === true,
              onProgress: (strategy: string) => {
                done++;
                bar?.update(done, { label: strategy });
              },
            });
          } finally {
            bar?.stop();
          }
          process.stdout.write(
            opts.json
              ? `${stringify({ strategies: result.strategies, options: result.options })}\n`
              : renderComparison(result),
          );
        }),
    );
}
