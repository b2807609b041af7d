/** The side-by-side table `compare` prints on a terminal. */
import type { ComparisonResult } from '@mip6sec/lab';

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

export function renderComparison(result: ComparisonResult): string {
  const names = Object.keys(result.strategies);
  const m = names.map((n) => result.strategies[n]!);
  const rows: [string, (i: number) => string][] = [
    ['handovers (completed)', (i) => `${fmt(m[i]!.handovers)} (${fmt(m[i]!.handoversCompleted)})`],
    ['IKE exchanges', (i) => fmt(m[i]!.ikeExchanges)],
    ['IKE messages', (i) => fmt(m[i]!.ikeMessages)],
    ['kernel messages', (i) => fmt(m[i]!.kernelMessages)],
    ['round trips / handover', (i) => fmt(m[i]!.roundTrips, 2)],
    ['signalling bytes', (i) => fmt(m[i]!.signallingBytes)],
    ['bytes on the air', (i) => fmt(m[i]!.bytesOnAir)],
    ['interruption median (ms)', (i) => fmt(m[i]!.interruptionMs.median, 1)],
    ['interruption p99 (ms)', (i) => fmt(m[i]!.interruptionMs.p99, 1)],
    ['payload lost / sent', (i) => `${fmt(m[i]!.packetsLost)} / ${fmt(m[i]!.packetsSent)}`],
    ['invariant violations', (i) => fmt(m[i]!.invariantViolations)],
  ];
  const o = result.options;
  const head = `scenario ${o.scenario}: ${o.mns} MN(s) x ${o.handovers} handover(s), RTT ${o.rttMs} ms, loss ${(o.loss * 100).toFixed(1)}%, seed ${o.seed}`;
  const col0 = Math.max(...rows.map((r) => r[0].length), 6);
  const cells = rows.map(([, f]) => names.map((_, i) => f(i)));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((c) => c[i]!.length)));
  const line = (label: string, vals: string[]) =>
    `${label.padEnd(col0)}  ${vals.map((v, i) => v.padStart(widths[i]!)).join('  ')}`;
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
  for (const [i, n] of names.entries()) {
    for (const v of m[i]!.violations.slice(0, 10)) {
      out.push(`  ! ${n}: step ${v.step}, ${v.host}, ${v.object}: ${v.rule} (${v.detail})`);
    }
    if (m[i]!.violations.length > 10) out.push(`  ! ${n}: ... ${m[i]!.violations.length - 10} more`);
  }
  return `${out.join('\n')}\n`;
}
