// Runs publint and @arethetypeswrong/cli on every built package under packages/*.
// attw uses the `esm-only` profile: the packages ship ESM only (an `import`-only exports
// map), so CommonJS `require` resolution is out of scope by design.
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
  console.log(
    `${results.every((r) => r.endsWith(' ok')) ? '✓' : '✗'} ${name}: ${results.join(', ')}`,
  );
}

process.exit(failures === 0 ? 0 : 1);
