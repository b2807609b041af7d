#!/usr/bin/env node
// Prints the plain `N passed, N failed, N skipped` line CI reads, from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`0 passed, 1 failed, 0 skipped`);
  console.error(`no test report at ${file}: ${e.message}`);
  process.exit(0);
}
const failedSuites = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0,
);
for (const s of failedSuites)
  console.error(`suite failed to run: ${s.name}: ${(s.message ?? '').split('\n')[0]}`);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(
  `${report.numPassedTests ?? 0} passed, ${(report.numFailedTests ?? 0) + failedSuites.length} failed, ${skipped} skipped`,
);
