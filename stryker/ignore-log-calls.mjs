// A Stryker ignorer (https://stryker-mutator.io/docs/stryker-js/disable-mutants/): mutants inside
// the arguments of a log call — `logger.warn({ queue, err }, 'message')`, `this.p.logger.debug(…)`
// — are reported as ignored instead of tested. A log line's wording and fields are for people
// reading logs; a test pinning them tests spelling, not behaviour. The call itself stays
// mutated through its enclosing block. Listed in docs/testing.md.
// (A plain object instead of `declareValuePlugin` from @stryker-mutator/api, which pnpm does not
// hoist to the root.)
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** True for `logger.<level>`, `log.<level>` and `<anything>.logger.<level>`. */
function isLogCallee(callee) {
  if (callee?.type !== 'MemberExpression' || callee.computed) return false;
  if (callee.property.type !== 'Identifier' || !LEVELS.has(callee.property.name)) return false;
  const target = callee.object;
  if (target.type === 'Identifier') return target.name === 'logger' || target.name === 'log';
  return (
    target.type === 'MemberExpression' &&
    !target.computed &&
    target.property.type === 'Identifier' &&
    target.property.name === 'logger'
  );
}

export const strykerPlugins = [
  {
    kind: 'Ignore',
    name: 'log-calls',
    value: {
      shouldIgnore(path) {
        if (path.node.type === 'CallExpression' && isLogCallee(path.node.callee))
          return 'log text and fields: for people reading logs, not behaviour (docs/testing.md)';
        return undefined;
      },
    },
  },
];
