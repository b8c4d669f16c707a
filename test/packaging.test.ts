// What a package consumer gets from the built packages, checked in the workspace (the packed
// tarballs are checked by scripts/pack-install-test.mjs from .ci/run).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(root, 'packages', e.name, 'package.json')))
  .map((e) => {
    const dir = join(root, 'packages', e.name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      private?: boolean;
      exports?: Record<string, unknown>;
    };
    // Every entry point a user can import: `@mqkit/core`, `@mqkit/core/provider`, …
    const entries = Object.keys(pkg.exports ?? { '.': null })
      .filter((key) => !key.endsWith('.json'))
      .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
    return { dir, name: pkg.name, entries, private: pkg.private === true };
  })
  .filter((p) => !p.private);

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const canRequireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);

describe('CommonJS consumers', () => {
  it.runIf(canRequireEsm).each(packages.flatMap((p) => p.entries.map((e) => [e, p.dir] as const)))(
    'require(%s) loads the package on Node ≥ 20.19',
    (name, dir) => {
      // Resolve from the package's own directory: its name resolves through its exports map.
      const run = spawnSync(
        process.execPath,
        [
          '-e',
          `const m = require(${JSON.stringify(name)}); console.log(Object.keys(m).length > 0 ? 'ok' : 'empty')`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('ok');
    },
  );
});

describe('source maps', () => {
  it.each(packages.map((p) => [p.name, p.dir] as const))(
    '%s: every map embeds the content of every source it names',
    (_name, dir) => {
      const dist = join(dir, 'dist');
      const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.map'),
      );
      expect(maps.length).toBeGreaterThan(0);
      for (const file of maps) {
        const map = JSON.parse(readFileSync(join(dist, file), 'utf8')) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        expect(map.sourcesContent?.length, file).toBe(map.sources.length);
        expect(map.sourcesContent?.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
      }
    },
  );
});
