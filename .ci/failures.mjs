// Prints what failed in vitest JSON reports, last in CI's output, where a reader of only its tail
// sees it: for each report, its passed/failed counts, then each failed test (file, full name, the
// first lines of its error) and each file that failed outside a test (an import or hook error).
//
// Usage: node .ci/failures.mjs LABEL=REPORT.json [LABEL=REPORT.json ...]
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const firstLines = (text, n = 4) =>
  String(text ?? '')
    // eslint-disable-next-line no-control-regex -- strip terminal colours from messages
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(0, n);

let anyFailed = false;
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=');
  const label = at > 0 ? arg.slice(0, at) : arg;
  const file = at > 0 ? arg.slice(at + 1) : arg;
  if (!existsSync(file)) {
    console.log(`== ${label}: no report (${file}); the run did not finish`);
    anyFailed = true;
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.log(`== ${label}: unreadable report ${file}: ${error.message}`);
    anyFailed = true;
    continue;
  }
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(
    `== ${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped` +
      (report.success === false && report.numFailedTests === 0 ? ' (the run failed outside any test)' : '')
  );
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name ?? '?');
    const failed = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const test of failed) {
      anyFailed = true;
      console.log(`   FAILED ${where} > ${test.fullName}`);
      for (const line of firstLines((test.failureMessages ?? []).join('\n'))) console.log(`      ${line}`);
    }
    if (suite.status === 'failed' && failed.length === 0) {
      anyFailed = true;
      console.log(`   FAILED ${where} (outside its tests)`);
      for (const line of firstLines(suite.message)) console.log(`      ${line}`);
    }
  }
}
process.exitCode = anyFailed ? 1 : 0;
