/** The side-by-side table `compare` prints on a terminal. */
import type { ComparisonResult } from '@mip6sec/lab';

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

/** Violations listed per strategy under the table; the rest are counted. */
const LISTED = 10;

export function renderComparison(result: ComparisonResult): string {
  const names = Object.keys(result.strategies);
  const m = names.map((n) => result.strategies[n]!);
  const per = (i: number, v: number) => (m[i]!.handovers > 0 ? v / m[i]!.handovers : 0);
  const rows: [string, (i: number) => string][] = [
    ['handovers (completed)', (i) => `${fmt(m[i]!.handovers)} (${fmt(m[i]!.handoversCompleted)})`],
    ['interruption median (ms)', (i) => fmt(m[i]!.interruptionMs.median, 1)],
    ['interruption p99 (ms)', (i) => fmt(m[i]!.interruptionMs.p99, 1)],
    ['IKE exchanges', (i) => fmt(m[i]!.ikeExchanges)],
    ['IKE messages', (i) => fmt(m[i]!.ikeMessages)],
    ['round trips / handover', (i) => fmt(m[i]!.roundTrips, 2)],
    ['kernel messages', (i) => fmt(m[i]!.kernelMessages)],
    ['kernel messages / handover', (i) => fmt(per(i, m[i]!.kernelMessages), 1)],
    ['signalling bytes', (i) => fmt(m[i]!.signallingBytes)],
    ['bytes on the air', (i) => fmt(m[i]!.bytesOnAir)],
    ['payload lost / sent', (i) => `${fmt(m[i]!.packetsLost)} / ${fmt(m[i]!.packetsSent)}`],
    ['invariant violations', (i) => fmt(m[i]!.invariantViolations)],
    ['wall time (s)', (i) => fmt(m[i]!.wallTimeMs / 1000, 1)],
  ];
  const o = result.options;
  const moves =
    o.scenario === 'bootstrap' ? `${o.mns} MN(s) registering` : `${o.mns} MN(s) x ${o.handovers} handover(s)`;
  const head = `scenario ${o.scenario}: ${moves}, RTT ${o.rttMs} ms, loss ${(o.loss * 100).toFixed(1)}%, seed ${o.seed}${o.reconcile ? '' : ', no reconciliation'}`;
  const col0 = Math.max(...rows.map((r) => r[0].length), 6);
  const cells = rows.map(([, f]) => names.map((_, i) => f(i)));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((c) => c[i]!.length)));
  const line = (label: string, vals: string[]) =>
    `${label.padEnd(col0)}  ${vals.map((v, i) => v.padStart(widths[i]!)).join('  ')}`.trimEnd();
  const out = [
    head,
    '',
    line('', names),
    line(
      '-'.repeat(col0),
      widths.map((w) => '-'.repeat(w)),
    ),
  ];
  for (const [r, [label]] of rows.entries()) out.push(line(label, cells[r]!));
  const listed = m.some((x) => x.violations.length > 0);
  if (listed) out.push('', 'violations (first step, host, object: rule, detail):');
  for (const [i, n] of names.entries()) {
    // The same object failing the same rule at several steps is one line, with the count of steps.
    const groups = new Map<string, { first: (typeof m)[number]['violations'][number]; steps: number }>();
    for (const v of m[i]!.violations) {
      const key = `${v.host}|${v.object}|${v.rule}`;
      const g = groups.get(key);
      if (g) g.steps++;
      else groups.set(key, { first: v, steps: 1 });
    }
    const all = [...groups.values()];
    for (const { first: v, steps } of all.slice(0, LISTED)) {
      const more = steps > 1 ? ` [at ${steps} steps]` : '';
      out.push(`  ! ${n}: ${v.step}, ${v.host}, ${v.object}: ${v.rule} (${v.detail})${more}`);
    }
    if (all.length > LISTED) out.push(`  ! ${n}: ... ${all.length - LISTED} more objects`);
  }
  if (result.files.length > 0) out.push('', `wrote ${result.files.join(', ')}`);
  return `${out.join('\n')}\n`;
}
