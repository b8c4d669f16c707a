import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('changesets', () => {
  it('every pending changeset parses and bumps the fixed @mqkit group together', () => {
    // `changeset status` exits non-zero when a changeset's front matter cannot be parsed.
    const out = execFileSync('node_modules/.bin/changeset', ['status', '--verbose'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('@mqkit/core');
    expect(out).toContain('@mqkit/memory');
  });
});
