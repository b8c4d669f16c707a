// vitest globalSetup: generates the test Prisma clients (gitignored build output) before any
// test file imports them. `postinstall` does the same so the root typecheck finds them.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('./generate-clients.mjs', import.meta.url))],
    {
      stdio: 'inherit',
    },
  );
}
