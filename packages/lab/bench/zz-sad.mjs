import 'reflect-metadata';
import { runScenario } from '../dist/index.js';
const [strategy='renegotiate', scenario='ike-restart', handovers='2'] = process.argv.slice(2);
const r = await runScenario(strategy, { scenario, mns: 1, handovers: +handovers, rttMs: 50, loss: 0, seed: 1 });
for (const h of [r.world.ha, r.world.mns[0]]) {
  console.log('==', h.name ?? 'mn');
  for (const s of h.inspect.sas()) console.log('  ', s.mode, s.reqid, s.src, '->', s.dst, s.spi.toString(16), s.state);
  for (const i of h.ike.ikeSas()) console.log('   IKE', i.ikeSpi, i.local.ip, i.remote.ip, i.state, i.childReqids.join(','));
}
console.log(r.metrics.invariantViolations);
process.exit(0);
