import { createInterface } from 'node:readline/promises';
import { RefusedError } from './exit.js';

/** Where a command reads an answer and writes its question. */
export interface PromptIO {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Asks `question` on the terminal unless `yes`; throws {@link RefusedError} when the answer is
 * not "y"/"yes", or when there is no terminal to ask (scripts must pass `--yes`).
 */
export async function confirm(question: string, yes: boolean, io: PromptIO): Promise<void> {
  if (yes) return;
  if (!io.stdin.isTTY) {
    throw new RefusedError(
      `not confirmed: ${question.replace(/\?$/, '')} needs --yes when not run from a terminal`,
    );
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes')
      throw new RefusedError('not confirmed: nothing changed');
  } finally {
    rl.close();
  }
}
