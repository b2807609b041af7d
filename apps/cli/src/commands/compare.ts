/** `mip6sec compare`: the main job, the same scenario under each interface design, side by side. */

import {
  type ComparisonResult,
  runComparison,
  SCENARIO_DESCRIPTIONS,
  SCENARIOS,
  STRATEGIES,
  type StrategyMetrics,
} from '@mip6sec/lab';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { InputError, run, stringify } from '../io.js';
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

/** The figures `--json` prints per strategy (the violations listed, the per-step detail left out). */
function jsonFigures(m: StrategyMetrics) {
  return {
    handovers: m.handovers,
    handoversCompleted: m.handoversCompleted,
    ikeExchanges: m.ikeExchanges,
    ikeMessages: m.ikeMessages,
    kernelMessages: m.kernelMessages,
    bytesOnAir: m.bytesOnAir,
    signallingBytes: m.signallingBytes,
    roundTrips: m.roundTrips,
    interruptionMs: m.interruptionMs,
    packetsSent: m.packetsSent,
    packetsLost: m.packetsLost,
    invariantViolations: m.invariantViolations,
    violations: m.violations,
    strategyCounters: m.strategyCounters,
    virtualTimeMs: m.virtualTimeMs,
    wallTimeMs: Math.round(m.wallTimeMs),
  };
}

export function compareCommand(program: Command): void {
  const scenarioList = SCENARIOS.map((s) => `  ${s.padEnd(22)} ${SCENARIO_DESCRIPTIONS[s]}`).join('\n');
  program
    .command('compare')
    .description('run one scenario under each interface design and print the figures side by side')
    .option('--strategies <list>', `comma-separated, from ${STRATEGIES.join(', ')}`, STRATEGIES.join(','))
    .addOption(
      new Option('--scenario <name>', 'the scenario (see below)').choices([...SCENARIOS]).default('handover'),
    )
    .option('--mns <n>', 'number of mobile nodes', int('--mns', 1), 1)
    .option('--handovers <k>', 'handovers per mobile node (rounds, in a storm)', int('--handovers', 1), 20)
    .option('--rtt <ms>', 'MN-HA round-trip time in ms', num('--rtt', 0, 10_000), 50)
    .option(
      '--loss <p>',
      'packet loss probability on the radio links, each way (0.01 = 1%)',
      num('--loss', 0, 0.5),
      0.01,
    )
    .option('--seed <s>', 'seed of the simulation (same seed, same run)', int('--seed', 0), 1)
    .option(
      '--pcap <file>',
      "capture of the first MN's link: FILE with one strategy, else one file per strategy with its name before the extension (run.pcap -> run.migrate.pcap)",
    )
    .option(
      '--keys',
      "with --pcap, also write Wireshark's ESP SA table and IKEv2 decryption table beside each capture (run.esp_sa, run.ikev2_decryption_table)",
    )
    .option('--no-reconcile', 'switch the MIGRATE reconciliation off (to see what a lost MIGRATE does)')
    .option('--json', 'print {"strategies": {"migrate": {...}, ...}} as JSON instead of the table')
    .addHelpText(
      'after',
      `
Scenarios:
${scenarioList}

Examples:
  $ mip6sec compare
  $ mip6sec compare --handovers 200 --rtt 50 --loss 0.01 --seed 7 --json
  $ mip6sec compare --scenario lost-migrate --strategies migrate --no-reconcile
  $ mip6sec compare --scenario storm --mns 100 --handovers 2
  $ mip6sec compare --strategies migrate --handovers 3 --pcap run.pcap --keys

Reading the table: each column is one interface design run on the same network and seed.
interruption is the time from the link change until protected payload reaches the MN again;
IKE exchanges counts IKE requests that completed after bootstrap (each once); kernel messages
counts PF_KEY messages across the user/kernel boundary on every host (a dump: one per entry);
bytes on the air counts what the MNs sent and were sent; violations counts invariant failures at
quiescence after each step (each one is listed below the table, with its step, host and object).

Wireshark: copy the key tables into ~/.config/wireshark/ (as esp_sa and ikev2_decryption_table)
and enable ESP decryption, or pass each line to tshark as -o "uat:esp_sa:LINE".`,
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
          if (strategies.length === 0) throw new InputError('EINVAL', '--strategies names no strategy');
          for (const s of strategies) {
            if (!(STRATEGIES as readonly string[]).includes(s)) {
              throw new InputError(
                'EINVAL',
                `unknown strategy ${JSON.stringify(s)} (known: ${STRATEGIES.join(', ')})`,
              );
            }
          }
          if (opts.keys && !opts.pcap) throw new InputError('EINVAL', '--keys needs --pcap');
          // Every MN's bootstrap registration, then its handovers.
          const perStrategy = opts.mns * (opts.scenario === 'bootstrap' ? 1 : opts.handovers + 1);
          const total = strategies.length * perStrategy;
          const bar =
            process.stderr.isTTY && !opts.json && total >= 20
              ? new SingleBar({
                  format: '{label} [{bar}] {value}/{total} handovers',
                  stream: process.stderr,
                  hideCursor: true,
                })
              : undefined;
          bar?.start(total, 0, { label: (strategies[0] ?? '').padEnd(11) });
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
                bar?.update(done, { label: strategy.padEnd(11) });
              },
            });
          } finally {
            bar?.stop();
          }
          if (opts.json) {
            const figures = Object.fromEntries(
              Object.entries(result.strategies).map(([name, m]) => [name, jsonFigures(m)]),
            );
            process.stdout.write(
              `${stringify({ strategies: figures, options: result.options, files: result.files })}\n`,
            );
          } else {
            process.stdout.write(renderComparison(result));
          }
        }),
    );
}
