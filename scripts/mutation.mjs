#!/usr/bin/env node
// pnpm mutation: StrykerJS over @mqkit/core, @mqkit/memory and the SQL providers' pure parts
// (stryker.config.json), against the fast suites (vitest.mutation.config.ts). Incremental: a rerun
// tests only mutants whose code or covering tests changed. The HTML report goes to
// reports/mutation/ (gitignored). The last line is one JSON object:
//   {"bench":"mutation","score":…,"killed":…,"survived":…,"no_coverage":…,"files":…}
// Extra arguments go to `stryker run` (e.g. `--mutate packages/core/src/names.ts`,
// `--concurrency 1`, `--force` for a full run). Exit code 1 when the score is under 80 %.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const REPORT = 'reports/mutation/mutation.json';
const TARGET = 80;

const run = spawnSync('pnpm', ['exec', 'stryker', 'run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
});
if (run.status !== 0) {
  console.error(`stryker exited with ${run.status ?? run.signal}`);
  process.exit(1);
}

const report = JSON.parse(readFileSync(new URL(`../${REPORT}`, import.meta.url), 'utf8'));
const count = { killed: 0, survived: 0, no_coverage: 0, timeout: 0, ignored: 0, errors: 0 };
const perFile = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
  const f = { file, killed: 0, survived: 0, no_coverage: 0, timeout: 0 };
  for (const { status } of mutants) {
    if (status === 'Killed') f.killed++;
    else if (status === 'Survived') f.survived++;
    else if (status === 'NoCoverage') f.no_coverage++;
    else if (status === 'Timeout') f.timeout++;
    else if (status === 'Ignored') count.ignored++;
    else count.errors++;
  }
  for (const k of ['killed', 'survived', 'no_coverage', 'timeout']) count[k] += f[k];
  perFile.push(f);
}
// Stryker's mutation score: detected (killed + timed out) over valid mutants
// (detected + survived + no coverage); ignored and erroring mutants are not valid.
const score = (c) => {
  const detected = c.killed + c.timeout;
  const valid = detected + c.survived + c.no_coverage;
  return valid === 0 ? 100 : (detected / valid) * 100;
};

console.log('');
console.log(
  `${'file'.padEnd(58)}${'score'.padStart(8)}${'killed'.padStart(8)}${'surv.'.padStart(7)}${'no cov'.padStart(8)}`,
);
for (const f of perFile.sort((a, b) => score(a) - score(b)))
  console.log(
    `${f.file.padEnd(58)}${score(f).toFixed(1).padStart(8)}${String(f.killed + f.timeout).padStart(8)}${String(f.survived).padStart(7)}${String(f.no_coverage).padStart(8)}`,
  );
const total = score(count);
console.log(
  `\ntarget ≥ ${TARGET} %: ${total >= TARGET ? 'met' : 'MISSED'} (timed out: ${count.timeout}, ignored: ${count.ignored}, errors: ${count.errors}); HTML report: reports/mutation/index.html`,
);
console.log(
  JSON.stringify({
    bench: 'mutation',
    score: Number(total.toFixed(2)),
    killed: count.killed + count.timeout,
    survived: count.survived,
    no_coverage: count.no_coverage,
    files: perFile.length,
  }),
);
if (total < TARGET) process.exitCode = 1;
