// Every TypeScript block of README.md, docs/**/*.md and each package/example README is compiled
// with strict settings and `noUncheckedIndexedAccess`, against the built packages (as a user
// gets them from npm). New Markdown files and new packages are picked up without changes here.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockModule,
  type CodeBlock,
  extractTypeScriptBlocks,
  markdownLine,
} from './code-blocks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = join(root, '.test-results', 'doc-blocks');

const subdirs = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
        .map((e) => join(dir, e.name))
    : [];

function markdownUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : markdownUnder(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** README.md, docs/ (recursively), and the README of every package and example. */
const markdownFiles = [
  join(root, 'README.md'),
  ...markdownUnder(join(root, 'docs')),
  ...[...subdirs(join(root, 'packages')), ...subdirs(join(root, 'examples'))]
    .map((dir) => join(dir, 'README.md'))
    .filter(existsSync),
].map((path) => relative(root, path));

const packageDirs = subdirs(join(root, 'packages')).filter((d) =>
  existsSync(join(d, 'package.json')),
);

/**
 * One node_modules for the blocks: every `@mqkit/*` package (resolved through its exports map to
 * dist/, like an installed package) plus every dependency of the workspace's packages, examples
 * and tests, so a guide may import the driver or adapter it documents.
 */
function linkModules(target: string): void {
  const link = (name: string, to: string): void => {
    const at = join(target, name);
    if (existsSync(at)) return;
    mkdirSync(join(at, '..'), { recursive: true });
    symlinkSync(to, at, 'dir');
  };
  for (const dir of packageDirs) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
    };
    link(name, dir);
  }
  const sources = [...packageDirs, join(root, 'examples'), join(root, 'test'), join(root, 'bench')];
  for (const source of sources) {
    const modules = join(source, 'node_modules');
    if (!existsSync(modules)) continue;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.') || entry === '@mqkit') continue;
      const names = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const name of names) link(name, realpathSync(join(modules, name)));
    }
  }
}

/** What the guides call the user's generated client (`output` in schema.prisma). */
const FIXTURES: Record<string, string> = {
  'generated/prisma/client.ts': `export * from '${join(root, 'packages/prisma/test/generated/postgresql/client/client.js')}';\n`,
};

// Proves the check is not vacuous: this must fail under noUncheckedIndexedAccess.
const CANARY = 'const xs: number[] = [1];\nconst first: number = xs[0];\nexport { first };\n';

interface Compiled {
  blocks: Map<string, { file: string; block: CodeBlock; codeStart: number }>;
  errors: Map<string, string[]>;
  canaryErrors: string[];
}

let compiled: Compiled;

beforeAll(() => {
  for (const dir of packageDirs) {
    if (!existsSync(join(dir, 'dist'))) {
      throw new Error(
        `docs type-check compiles against dist/: ${dir}/dist is missing (run \`pnpm build\`)`,
      );
    }
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'blocks'), { recursive: true });
  linkModules(join(work, 'node_modules'));
  writeFileSync(join(work, 'package.json'), '{ "type": "module", "private": true }\n');
  for (const [path, source] of Object.entries(FIXTURES)) {
    mkdirSync(join(work, 'blocks', path, '..'), { recursive: true });
    writeFileSync(join(work, 'blocks', path), source);
  }
  writeFileSync(join(work, 'canary.ts'), CANARY);
  const blocks: Compiled['blocks'] = new Map();
  for (const file of markdownFiles) {
    extractTypeScriptBlocks(readFileSync(join(root, file), 'utf8')).forEach((block, i) => {
      const name = `blocks/${file.replaceAll('/', '__')}__${i + 1}.ts`;
      const { source, codeStart } = blockModule(block);
      writeFileSync(join(work, name), source);
      blocks.set(name, { file, block, codeStart });
    });
  }
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        isolatedModules: true,
        skipLibCheck: true,
        noEmit: true,
        typeRoots: [join(root, 'node_modules/@types')],
      },
      include: ['canary.ts', 'blocks/**/*.ts'],
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--pretty', 'false'],
    { cwd: work, encoding: 'utf8' },
  );
  const errors: Compiled['errors'] = new Map();
  const canaryErrors: string[] = [];
  for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n')) {
    const m = /^(.+?\.ts)\((\d+),(\d+)\): (error .*)$/.exec(line);
    if (m === null) continue;
    const [, path = '', row = '0', , message = ''] = m;
    if (path === 'canary.ts') {
      canaryErrors.push(message);
      continue;
    }
    const hit = blocks.get(path);
    const where = hit
      ? `${hit.file}:${markdownLine(hit.block, hit.codeStart, Number(row))}`
      : `${path}:${row}`;
    const key = hit?.file ?? path;
    errors.set(key, [...(errors.get(key) ?? []), `${where} ${message}`]);
  }
  compiled = { blocks, errors, canaryErrors };
}, 120_000);

describe('TypeScript blocks in README.md and docs/ compile (strict, noUncheckedIndexedAccess)', () => {
  it('the check is live: a noUncheckedIndexedAccess violation is reported', () => {
    expect(compiled.canaryErrors.join('\n')).toMatch(/TS2322/);
  });

  it('finds the README Usage block', () => {
    const readmeBlocks = [...compiled.blocks.values()].filter((b) => b.file === 'README.md');
    expect(readmeBlocks.length).toBeGreaterThan(0);
  });

  it('reports no error outside the Markdown blocks (fixtures compile)', () => {
    const stray = [...compiled.errors.keys()].filter((k) => !markdownFiles.includes(k));
    expect(stray.flatMap((k) => compiled.errors.get(k) ?? [])).toEqual([]);
  });

  it.each(markdownFiles)('%s', (file) => {
    expect(compiled.errors.get(file) ?? []).toEqual([]);
  });
});
