// Every ```ts block of the listed documents must type-check against the sources: each block
// becomes a module under packages/prometheus/.test-results/doc-snippets (so `prom-client`
// resolves) and tsc checks them with the repository's tsconfig (paths map @mqkit/* to src).
// Documents join CHECKED once their blocks are complete programs rather than fragments.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const CHECKED = ['docs/metrics.md', 'packages/prometheus/README.md', 'docs/providers/kinesis.md'];

describe('documentation code', () => {
  it(`every TypeScript block of ${CHECKED.join(', ')} type-checks`, () => {
    const dir = join(root, 'packages', 'prometheus', '.test-results', 'doc-snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const md of CHECKED) {
      const blocks = [...readFileSync(join(root, md), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)];
      blocks.forEach((m, i) => {
        const file = `${md.replaceAll('/', '_').replace('.md', '')}_${i + 1}.ts`;
        // `export {}` makes each block a module (top-level await, no global clashes).
        writeFileSync(join(dir, file), `${m[1]}\nexport {};\n`);
        files.push(file);
      });
    }
    expect(files.length).toBeGreaterThan(0);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../../tsconfig.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false },
        include: files,
      }),
    );
    let output = '';
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], {
        cwd: root,
        encoding: 'utf8',
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 120_000);
});
