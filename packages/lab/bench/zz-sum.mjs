import 'reflect-metadata';
import { runScenario } from '../dist/index.js';
const [strategy='migrate', mns='10', handovers='1', scenario='storm', extra='{}'] = process.argv.slice(2);
const r = await runScenario(strategy, { scenario, mns: +mns, handovers: +handovers, rttMs: 50, loss: 0.01, seed: 1, ...JSON.parse(extra) });
const m = r.metrics;
console.log(strategy, scenario, mns, 'done', m.handoversCompleted, '/', m.handovers, 'viol', m.invariantViolations, 'ike', m.ikeExchanges, 'kern', m.kernelMessages, 'int', m.interruptionMs.median.toFixed(1), m.interruptionMs.p99.toFixed(1), 'lost', m.packetsLost, '/', m.packetsSent, 'wall', m.wallTimeMs.toFixed(0));
const rules = new Map();
for (const v of m.violations) { const k = `${v.step} ${v.host === 'ha' ? 'ha' : 'mn'} ${v.rule} ${v.object.replace(/\(for mn\d+\)/, '').replace(/1::1[0-9a-f]{3}/g, 'HoA').replace(/spi 0x[0-9a-f]+/, 'spi X').replace(/IKE_SA \S+/, 'IKE_SA X')}`; rules.set(k, (rules.get(k) ?? 0) + 1); }
for (const [k, n] of rules) console.log(String(n).padStart(5), k);
console.log(JSON.stringify(m.strategyCounters));
process.exit(0);
