import 'reflect-metadata';
import { runScenario } from '../dist/index.js';
const [strategy='migrate', mns='1', handovers='2', scenario='lost-ba', from='0', to='1e9'] = process.argv.slice(2);
const lines = [];
const r = await runScenario(strategy, { scenario, mns: +mns, handovers: +handovers, rttMs: 50, loss: 0, seed: 1, trace: (l) => lines.push(l) });
for (const l of lines) { const t = +l.slice(0, 9); if (t >= +from && t <= +to && !l.includes('ike.exchange')) console.log(l.slice(0, 200)); }
const m = r.metrics;
console.log(strategy, 'done', m.handoversCompleted, '/', m.handovers, 'viol', m.invariantViolations, 'ike', m.ikeExchanges, 'int', JSON.stringify(m.steps.map(s=>s.interruptionMedianMs)));
process.exit(0);
