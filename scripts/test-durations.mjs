// Writes .ci/test-seconds.json (file -> seconds, the files of 5 s or more) from a vitest JSON
// report, for the order scripts/test-order.ts starts files in. Usage, after a full run with
// `--reporter=json --outputFile.json=<report>`: npm run test:durations -- <report>
import fs from 'node:fs';
import path from 'node:path';

const report = process.argv[2];
if (!report) {
  console.error('usage: npm run test:durations -- <vitest json report>');
  process.exit(2);
}
const root = process.cwd();
const { testResults } = JSON.parse(fs.readFileSync(report, 'utf8'));
const seconds = {};
for (const r of testResults) {
  const s = (r.endTime - r.startTime) / 1000;
  if (s >= 5) seconds[path.relative(root, r.name).split(path.sep).join('/')] = Math.round(s);
}
const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
fs.writeFileSync(path.join(root, '.ci/test-seconds.json'), JSON.stringify(sorted, null, 2) + '\n');
console.log(`${Object.keys(sorted).length} files of 5 s or more recorded in .ci/test-seconds.json`);
