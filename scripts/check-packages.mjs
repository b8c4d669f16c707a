// Runs publint and @arethetypeswrong/cli on every built package under packages/*, then checks
// what npm users see: the LICENSE (same as the root's), a README fit for the npm page (install
// and example sections, absolute links only: relative ones break on npmjs.com), and a `default`
// condition on every export so `require()` works on Node ≥ 20.19 (require of ES modules).
// attw uses the `esm-only` profile: the packages are ES modules; CommonJS consumers load them
// through Node's require(esm), which attw does not model (test/packaging.test.ts runs it).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);

const checks = [
  { name: 'publint', command: bin('publint'), args: ['--strict'] },
  { name: 'attw', command: bin('attw'), args: ['--pack', '.', '--profile', 'esm-only'] },
];

const packagesDir = join(root, 'packages');
const packageDirs = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(packagesDir, entry.name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist')));

if (packageDirs.length === 0) {
  console.error('check-packages: no built package under packages/* (run `pnpm build` first)');
  process.exit(1);
}

let failures = 0;
for (const dir of packageDirs) {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const results = [];
  for (const check of checks) {
    const run = spawnSync(check.command, check.args, { cwd: dir, encoding: 'utf8' });
    const ok = run.status === 0;
    results.push(`${check.name} ${ok ? 'ok' : 'FAILED'}`);
    if (!ok) {
      failures += 1;
      process.stderr.write(
        `\n--- ${name}: ${check.name} ---\n${run.stdout ?? ''}${run.stderr ?? ''}`,
      );
      if (run.error) process.stderr.write(`${run.error.message}\n`);
    }
  }
  const problems = npmPageProblems(dir);
  results.push(`npm page ${problems.length === 0 ? 'ok' : 'FAILED'}`);
  if (problems.length > 0) {
    failures += 1;
    process.stderr.write(`\n--- ${name}: npm page ---\n${problems.join('\n')}\n`);
  }
  console.log(
    `${results.every((r) => r.endsWith(' ok')) ? '✓' : '✗'} ${name}: ${results.join(', ')}`,
  );
}

process.exit(failures === 0 ? 0 : 1);

/** What would make the package's npm page or install wrong; empty when fine. */
function npmPageProblems(dir) {
  const problems = [];
  const license = join(dir, 'LICENSE');
  if (!existsSync(license)) problems.push('no LICENSE (copy the root LICENSE into the package)');
  else if (readFileSync(license, 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8'))
    problems.push('LICENSE differs from the root LICENSE');
  const readmePath = join(dir, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
  if (!/^## Install/m.test(readme)) problems.push('README.md has no "## Install" section');
  if (!/^## (Example|Usage|Use)\b/m.test(readme))
    problems.push('README.md has no "## Example" (or "## Usage") section');
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^(https?:|#|mailto:)/.test(target)) {
      problems.push(
        `README.md links to ${target}: use an absolute https:// URL (npm breaks relative links)`,
      );
    }
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target === 'object' && target !== null && !('default' in target))
      problems.push(`exports["${entry}"] has no "default" condition (require() would fail)`);
  }
  return problems;
}
