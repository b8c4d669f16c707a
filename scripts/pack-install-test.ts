// The packaging guard, run by .ci/run (and `pnpm test:pack`): packs every package under
// packages/* with `pnpm pack`, installs the tarballs with npm into a fresh app in a temporary
// directory outside the workspace, and then, as a new user would:
//   - checks each tarball ships LICENSE, README.md and its entry points, with source maps that
//     embed their sources, and that `require()` of each package works (Node ≥ 20.19);
//   - type-checks the README's Usage block with strict TypeScript (noUncheckedIndexedAccess) and
//     runs it on the memory provider;
//   - follows docs/providers/prisma.md on PostgreSQL (generator, `prisma generate`, the shipped SQL
//     applied with psql into a fresh database) and runs the same Usage code on it.
// Prints one line per check and `pack-install: N passed, M failed[, K skipped]` last; exits 1 on
// any failure. Needs network access to the npm registry for the third-party packages.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractTypeScriptBlocks } from '../test/docs/code-blocks.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// MQKIT_POSTGRES_URL: the PostgreSQL server (as for the test suite); MQKIT_PACK_KEEP=1 keeps the app.
const { MQKIT_POSTGRES_URL, MQKIT_PACK_KEEP } = process.env;
const POSTGRES_URL = MQKIT_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const keep = MQKIT_PACK_KEEP === '1';
/** Versions the app installs besides the tarballs (TOOLCHAIN.md). */
const THIRD_PARTY = [
  'typescript@~5.9.3',
  '@types/node@^20.19.0',
  '@prisma/client@7.10.0',
  '@prisma/adapter-pg@7.10.0',
  'prisma@7.10.0',
];
const OFFLINE_PRISMA = { CHECKPOINT_DISABLE: '1', PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true' };

let passed = 0;
let failed = 0;
let skipped = 0;
function check(name: string, ok: boolean, detail = ''): boolean {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? '✓' : '✗'} ${name}${!ok && detail ? `\n${detail.trim()}` : ''}`);
  return ok;
}
function skip(name: string, reason: string): void {
  skipped++;
  console.log(`SKIPPED: pack-install ${name} — ${reason}`);
}

interface Run {
  status: number | null;
  out: string;
  ms: number;
}
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const started = performance.now();
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 600_000,
  });
  return {
    status: r.status,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`,
    ms: Math.round(performance.now() - started),
  };
}

// ------------------------------------------------------------------ pack
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(root, 'packages', e.name, 'package.json')))
  .map((e) => {
    const dir = join(root, 'packages', e.name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      private?: boolean;
    };
    return { dir, name: pkg.name, private: pkg.private === true };
  })
  .filter((p) => !p.private);

const work = mkdtempSync(join(tmpdir(), 'mqkit-pack-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
console.log(`pack-install: ${packages.length} packages, app in ${app}`);

const tarballOf = new Map<string, string>();
for (const p of packages) {
  const packed = run('pnpm', ['pack', '--pack-destination', tarballs], p.dir);
  const file = packed.out
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.endsWith('.tgz'));
  if (!check(`pnpm pack ${p.name}`, packed.status === 0 && file !== undefined, packed.out))
    continue;
  const tgz = file?.startsWith('/') ? file : join(tarballs, file ?? '');
  tarballOf.set(p.name, tgz);
  const listing = run('tar', ['-tzf', tgz], work).out.split('\n');
  const missing = [
    'package/LICENSE',
    'package/README.md',
    'package/dist/index.js',
    'package/dist/index.d.ts',
  ].filter((f) => !listing.includes(f));
  check(
    `${p.name} tarball ships LICENSE, README.md and dist entry points`,
    missing.length === 0,
    `missing: ${missing.join(', ')}`,
  );
}

// ------------------------------------------------------------------ install
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'mqkit-first-hour', private: true, type: 'module' }, null, 2)}\n`,
);
// --ignore-scripts: the Prisma CLI's postinstall would try to download engines that
// `prisma generate` does not need (Prisma 7's query compiler is WASM).
const install = run(
  'npm',
  ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballOf.values(), ...THIRD_PARTY],
  app,
);
if (
  !check(
    `npm install of ${tarballOf.size} tarballs + ${THIRD_PARTY.length} packages (${install.ms} ms)`,
    install.status === 0,
    install.out,
  )
) {
  finish();
}

// ------------------------------------------------------------------ package contents
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const canRequireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
for (const name of tarballOf.keys()) {
  const dir = join(app, 'node_modules', name);
  const maps = readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.map'),
  );
  const bad = maps.filter((f) => {
    const map = JSON.parse(readFileSync(join(dir, 'dist', f), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
    };
    return (
      map.sourcesContent?.length !== map.sources.length ||
      map.sourcesContent.some((s) => typeof s !== 'string')
    );
  });
  check(
    `${name}: ${maps.length} source map(s) embed every source`,
    maps.length > 0 && bad.length === 0,
    bad.join(', '),
  );
  const { exports: exportMap = { '.': null } } = JSON.parse(
    readFileSync(join(dir, 'package.json'), 'utf8'),
  ) as { exports?: Record<string, unknown> };
  const entries = Object.keys(exportMap)
    .filter((key) => !key.endsWith('.json'))
    .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`));
  if (canRequireEsm) {
    for (const entry of entries) {
      const cjs = run(
        process.execPath,
        [
          '-e',
          `const m = require(${JSON.stringify(entry)}); if (Object.keys(m).length === 0) process.exit(2)`,
        ],
        app,
      );
      check(`require(${JSON.stringify(entry)}) works from CommonJS`, cjs.status === 0, cjs.out);
    }
  } else {
    skip(
      `require(${name})`,
      `Node ${process.versions.node} cannot require ES modules (needs ≥ 20.19)`,
    );
  }
}

// ------------------------------------------------------------------ the README's Usage code
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const usage = extractTypeScriptBlocks(readme.slice(readme.indexOf('\n## Usage')))[0]?.code ?? '';
const MEMORY_IMPORT = "import { createMemoryQueue } from '@mqkit/memory';";
const MEMORY_QUEUE =
  "const queue: MessageQueue<Jobs> = createMemoryQueue<Jobs>({ namespace: 'staging' });";
check(
  'README Usage block has the provider lines this test swaps',
  usage.includes(MEMORY_IMPORT) && usage.includes(MEMORY_QUEUE),
);

// Your application's functions the README leaves to you, as a real app would write them.
const PRELUDE = `const sent: string[] = [];
const rendered: string[] = [];
async function sendEmail(
  email: { to: string; subject: string },
  options: { idempotencyKey: string; signal: AbortSignal },
): Promise<void> {
  options.signal.throwIfAborted();
  sent.push(\`\${email.to}:\${options.idempotencyKey.length > 0}\`);
}
async function renderInvoice(invoiceId: string, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  rendered.push(invoiceId);
}
`;
// Waits for the outcomes the README describes, prints them, then shuts down as on SIGTERM.
const epilogue = (dispose: string): string => `
const deadline = Date.now() + 30_000;
while (
  (sent.length < 1 || rendered.length < 1 || (await queue.deadLetters.count('jobs')) < 1) &&
  Date.now() < deadline
) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const dead = await queue.deadLetters.list('jobs');
console.log(JSON.stringify({ sent, rendered, dead: dead.map((d) => d.error.message) }));
await queue.close({ timeoutMs: 10_000 });
${dispose}
console.log('closed');
void consumer;
`;

// docs/providers/prisma.md, step 6: the PostgreSQL client and queue.
const GUIDE_IMPORTS = `import { createPrismaQueue } from '@mqkit/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';`;
const GUIDE_CLIENT = `const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }),
});`;
const guide = readFileSync(join(root, 'docs/providers/prisma.md'), 'utf8');
check(
  'the Prisma guide shows the client code this test runs',
  guide.includes(GUIDE_IMPORTS) && guide.includes(GUIDE_CLIENT),
);

writeFileSync(join(app, 'usage-memory.ts'), `${PRELUDE}${usage}\n${epilogue('')}`);
writeFileSync(
  join(app, 'usage-postgresql.ts'),
  `${PRELUDE}${usage
    .replace(MEMORY_IMPORT, GUIDE_IMPORTS)
    .replace(
      MEMORY_QUEUE,
      `${GUIDE_CLIENT}\nconst queue: MessageQueue<Jobs> = createPrismaQueue<Jobs>({ prisma, namespace: 'staging' });`,
    )}\n${epilogue('await prisma.$disconnect();')}`,
);

// ------------------------------------------------------------------ Prisma, as the guide says
// Step 2 (generator emitting ESM with .js imports), step 3 (append the shipped models), step 4.
mkdirSync(join(app, 'prisma'));
const models = readFileSync(
  join(app, 'node_modules/@mqkit/prisma/prisma/postgresql.prisma'),
  'utf8',
);
writeFileSync(
  join(app, 'prisma/schema.prisma'),
  `generator client {
  provider            = "prisma-client"
  output              = "../generated/prisma"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "postgresql"
}

${models}`,
);
const generate = run(
  join(app, 'node_modules/.bin/prisma'),
  ['generate', '--schema', 'prisma/schema.prisma'],
  app,
  OFFLINE_PRISMA,
);
check(
  `prisma generate (${generate.ms} ms)`,
  generate.status === 0 && existsSync(join(app, 'generated/prisma/client.ts')),
  generate.out,
);

// ------------------------------------------------------------------ strict type-check
writeFileSync(
  join(app, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        isolatedModules: true,
        skipLibCheck: true,
        outDir: 'out',
        rootDir: '.',
      },
      include: ['usage-memory.ts', 'usage-postgresql.ts'],
    },
    null,
    2,
  )}\n`,
);
const tsc = run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
const compiled = check(
  `tsc --strict --noUncheckedIndexedAccess of the README Usage code (${tsc.ms} ms)`,
  tsc.status === 0,
  tsc.out,
);

// ------------------------------------------------------------------ run it
function expectOutcome(label: string, result: Run): void {
  const line = result.out.split('\n').find((l) => l.startsWith('{"sent"'));
  let outcome: { sent?: string[]; rendered?: string[]; dead?: string[] } = {};
  try {
    outcome = JSON.parse(line ?? '{}');
  } catch {}
  check(
    `README Usage on ${label}: email sent once, INV-7 rendered, INV-8 dead-lettered; exits by itself (${result.ms} ms)`,
    result.status === 0 &&
      JSON.stringify(outcome.sent) === JSON.stringify(['ada@example.com:true']) &&
      JSON.stringify(outcome.rendered) === JSON.stringify(['INV-7']) &&
      JSON.stringify(outcome.dead) === JSON.stringify(['negative amount in INV-8']) &&
      /^closed$/m.test(result.out),
    result.out,
  );
}

if (compiled) {
  expectOutcome('memory', run(process.execPath, ['out/usage-memory.js'], app));

  const reachable = run('psql', [POSTGRES_URL, '-tAc', 'select 1'], app);
  if (reachable.status !== 0) {
    skip(
      'PostgreSQL',
      `psql cannot reach ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')}: ${reachable.out.split('\n')[0]}`,
    );
  } else {
    const database = `mqkit_pack_${Date.now().toString(36)}_${process.pid}`;
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    const databaseUrl = url.toString();
    const created = run('psql', [POSTGRES_URL, '-qc', `CREATE DATABASE ${database}`], app);
    if (check(`CREATE DATABASE ${database}`, created.status === 0, created.out)) {
      try {
        // Step 5, plain SQL: the shipped files, in order, with psql.
        const dir = join(app, 'node_modules/@mqkit/prisma/migrations/postgresql');
        const files = readdirSync(dir)
          .filter((f) => /^0.*\.sql$/.test(f))
          .sort();
        const applied = files.map((f) =>
          run('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qf', join(dir, f)], app),
        );
        check(
          `psql -f ${files.join(', ')}`,
          files.length > 0 && applied.every((a) => a.status === 0),
          applied.map((a) => a.out).join('\n'),
        );
        expectOutcome(
          'PostgreSQL',
          run(process.execPath, ['out/usage-postgresql.js'], app, { DATABASE_URL: databaseUrl }),
        );
      } finally {
        run('psql', [POSTGRES_URL, '-qc', `DROP DATABASE IF EXISTS ${database}`], app);
      }
    }
  }
}

finish();

function finish(): never {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
  console.log(
    `pack-install: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
  );
  process.exit(failed === 0 ? 0 : 1);
}
