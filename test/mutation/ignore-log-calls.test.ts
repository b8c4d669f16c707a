// The Stryker ignorer of `pnpm mutation` (stryker/ignore-log-calls.mjs): it must ignore exactly
// the arguments of log calls, nothing else, or the score would hide untested behaviour.
import { describe, expect, it } from 'vitest';
import { strykerPlugins } from '../../stryker/ignore-log-calls.mjs';

const plugin = strykerPlugins[0];
const ignore = (node: unknown) => plugin?.value.shouldIgnore({ node });
const id = (name: string) => ({ type: 'Identifier', name });
const member = (object: unknown, property: string, computed = false) => ({
  type: 'MemberExpression',
  object,
  property: id(property),
  computed,
});
const call = (callee: unknown) => ({ type: 'CallExpression', callee, arguments: [] });

describe('ignore-log-calls', () => {
  it('is an Ignore plugin named log-calls (the name stryker.config.json uses)', () => {
    expect(strykerPlugins).toHaveLength(1);
    expect(plugin?.kind).toBe('Ignore');
    expect(plugin?.name).toBe('log-calls');
  });
  it('ignores logger.<level>(…), log.<level>(…) and <x>.logger.<level>(…) at every level', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
      expect(ignore(call(member(id('logger'), level)))).toMatch(/^log text and fields/);
      expect(ignore(call(member(id('log'), level)))).toMatch(/^log text and fields/);
      expect(ignore(call(member(member(id('t'), 'logger'), level)))).toMatch(/^log text/);
      expect(
        ignore(call(member(member(member({ type: 'ThisExpression' }, 'p'), 'logger'), level))),
      ).toMatch(/^log text/);
    }
  });
  it('keeps everything else mutated', () => {
    expect(ignore(call(member(id('logger'), 'child')))).toBeUndefined();
    expect(ignore(call(member(id('lifecycle'), 'emit')))).toBeUndefined();
    expect(ignore(call(member(id('console'), 'warn')))).toBeUndefined();
    expect(ignore(call(member(member(id('t'), 'log'), 'warn')))).toBeUndefined();
    expect(ignore(call(member(id('logger'), 'warn', true)))).toBeUndefined();
    expect(ignore(call(member(member(id('t'), 'logger', true), 'warn')))).toBeUndefined();
    expect(ignore(call(id('warn')))).toBeUndefined();
    expect(ignore(member(id('logger'), 'warn'))).toBeUndefined();
    expect(ignore({ type: 'StringLiteral', value: 'x' })).toBeUndefined();
  });
});
