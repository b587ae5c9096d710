// Test support: reads vitest's JSON report and prints the plain closing line "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const r = JSON.parse(readFileSync(file, 'utf8'));
// a test file that failed to load has no assertions but must count as a failure
const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
const skipped = r.numPendingTests + r.numTodoTests;
process.stdout.write(`\n${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${skipped} skipped\n`);
process.exitCode = r.numFailedTests + brokenFiles > 0 || !r.success ? 1 : 0;
