import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `mqkit` binary (`pnpm build` makes it; `pnpm test` builds first). */
export const CLI_BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

/** What one run of the binary did. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `mqkit` binary as a subprocess with `args`, stdin a closed pipe (no terminal:
 * destructive commands need --yes), and only the given connection variables in its env.
 */
export function mqkit(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run pnpm build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** Parses the JSON a `--json` run printed, failing with its stderr when it did not succeed. */
export function jsonOf<T>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`mqkit exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
