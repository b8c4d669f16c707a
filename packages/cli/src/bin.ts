#!/usr/bin/env node
// The AWS SDK warns on stderr about Node versions it will stop supporting; an operator's command
// output is no place for it. Set before the SDK loads (the user's own setting wins).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./program.js');

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
