import { describe, expect, it } from 'vitest';
import { mqkit } from './run-cli.js';

// The help of every command, as an operator reads it: snapshots catch accidental changes.
const COMMANDS = [
  [],
  ['queues'],
  ['peek'],
  ['dlq'],
  ['dlq', 'list'],
  ['dlq', 'inspect'],
  ['dlq', 'replay'],
  ['dlq', 'purge'],
  ['shards'],
  ['instances'],
  ['lease', 'release'],
  ['checkpoint', 'set'],
];

describe('mqkit --help', () => {
  for (const command of COMMANDS) {
    it(`mqkit ${[...command, '--help'].join(' ')}`, async () => {
      const run = await mqkit([...command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatchSnapshot();
    });
  }

  it('an unknown command is exit 2 with a pointer to --help', async () => {
    const run = await mqkit(['peak', 'orders']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'peak'/);
    expect(run.stderr).toMatch(/Did you mean peek\?/);
  });
});
