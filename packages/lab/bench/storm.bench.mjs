// The handover storm at 1, 100 and 10,000 MNs: handovers processed per second of wall time, per
// strategy. Needs the built package (`npx tsc -b packages/lab/tsconfig.lib.json`, or `npx nx build
// @mip6sec/lab`). Usage:
//   node bench/storm.bench.mjs [--sizes 1,100,10000] [--strategies migrate,msrd,renegotiate]
//                              [--rounds 1] [--budget-s 1800] [--seed 1]
// Every MN moves once per round at a seeded random time; payload runs in probe mode (only around
// each handover), so the work grows with handovers, not with MNs x time. A run that exceeds its
// wall-clock budget stops and says how far it got (phase, registrations, handovers).
//
// Memory: each MN is a whole host (kernel with its ESP state, IKE daemon, MIPv6 daemon, strategy),
// about 0.2 MB of live heap, and a run's garbage comes on top: 10,000 MNs peak near 4 GB of heap,
// node's default limit here. The bench therefore runs itself again with a larger heap (and
// --expose-gc, so "live MB" is the heap a collection leaves: the run's hosts, still alive).
//
// Measured on the project's 2-core machine (see packages/lab/README.md, "Benchmark"); the
// 10,000-MN runs are where it goes from seconds to minutes.
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';

const HEAP_MB = 8192;
if (
  process.env.MIP6SEC_STORM_CHILD !== '1' &&
  v8.getHeapStatistics().heap_size_limit < HEAP_MB * 0.9 * 2 ** 20
) {
  const child = spawnSync(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_MB}`,
      '--expose-gc',
      ...process.execArgv,
      process.argv[1],
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, MIP6SEC_STORM_CHILD: '1' } },
  );
  process.exit(child.status ?? 1);
}
await import('reflect-metadata');
const { runScenario, ScenarioInterrupted, STRATEGIES } = await import('../dist/index.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '1,100,10000').split(',').map(Number);
const strategies = arg('strategies', STRATEGIES.join(',')).split(',');
const rounds = Number(arg('rounds', '1'));
const budgetMs = Number(arg('budget-s', '1800')) * 1000;
const seed = Number(arg('seed', '1'));

const s1 = (ms) => (ms / 1000).toFixed(1).padStart(7);
/** The heap a collection leaves now (the run's hosts are still alive), and the peak resident set so far. */
const memory = () => {
  globalThis.gc?.();
  return [
    (process.memoryUsage().heapUsed / 1e6).toFixed(0),
    (process.resourceUsage().maxRSS / 1e3).toFixed(0),
  ];
};
const rate = (n, ms) => (ms > 0 ? (n / (ms / 1000)).toFixed(1) : '-').padStart(9);

console.log(
  `storm: ${rounds} round(s) per MN, RTT 50 ms, loss 1%, seed ${seed}, budget ${budgetMs / 1000} s per run\n`,
);
const head = [
  'strategy   ',
  '   MNs',
  'handovers',
  'done',
  'violations',
  'build s',
  'bootstrap s',
  'storm s',
  'checks s',
  'reg/s',
  'handovers/s',
  'live MB',
  'peak RSS MB',
];
console.log(head.join('  '));
const row = (cells) =>
  cells
    .map((c, i) => (i === 0 ? String(c).padEnd(head[i].length) : String(c).padStart(head[i].length)))
    .join('  ');
for (const size of sizes) {
  for (const strategy of strategies) {
    const label = `${strategy.padEnd(11)}  ${String(size).padStart(6)}`;
    try {
      const r = await runScenario(strategy, {
        scenario: 'storm',
        mns: size,
        handovers: rounds,
        rttMs: 50,
        loss: 0.01,
        seed,
        traffic: 'probe',
        wallBudgetMs: budgetMs,
      });
      const m = r.metrics;
      const w = m.wall;
      console.log(
        row([
          strategy,
          size,
          m.handovers,
          m.handoversCompleted,
          m.invariantViolations,
          s1(w.buildMs).trim(),
          s1(w.bootstrapMs).trim(),
          s1(w.stepsMs).trim(),
          s1(w.checksMs).trim(),
          rate(size, w.bootstrapMs).trim(),
          rate(m.handovers, w.stepsMs).trim(),
          ...memory(),
        ]),
      );
      // A violation is a defect to chase, not a figure: say which.
      for (const v of m.violations.slice(0, 5))
        console.log(`  ! ${v.step}, ${v.host}, ${v.object}: ${v.rule} (${v.detail})`);
      await r.world.stop();
    } catch (e) {
      if (!(e instanceof ScenarioInterrupted)) throw e;
      const p = e.progress;
      const where =
        p.phase === 'bootstrap'
          ? `${p.registered()} of ${size} MNs registered`
          : p.phase === 'build'
            ? 'while building the hosts'
            : `${p.handovers} handovers started, ${p.completed} completed`;
      console.log(
        `${label}  stopped in ${p.phase} at the ${budgetMs / 1000} s budget (build ${s1(p.wall.buildMs).trim()} s): ${where}`,
      );
    }
  }
}
process.exit(0);
