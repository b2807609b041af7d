import 'reflect-metadata';
import { runScenario } from '../dist/index.js';
const [strategy='migrate', mns='100', handovers='1', scenario='storm'] = process.argv.slice(2);
const t0 = performance.now();
const r = await runScenario(strategy, { scenario, mns: +mns, handovers: +handovers, rttMs: 50, loss: 0.01, seed: 1, reconcile: true });
const m = r.metrics;
console.log(strategy, mns, 'wall', (performance.now()-t0).toFixed(0), 'done', m.handoversCompleted, '/', m.handovers, 'viol', m.invariantViolations, 'ike', m.ikeExchanges, 'kern', m.kernelMessages, 'int', m.interruptionMs.median, m.interruptionMs.p99, 'virt', m.virtualTimeMs);
const rules = new Map();
for (const v of m.violations) { const k = `${v.step} ${v.host} ${v.rule}`; rules.set(k, (rules.get(k) ?? 0) + 1); }
console.log([...rules].slice(0,20));
process.exit(0);
