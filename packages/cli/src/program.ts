import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  countMatching,
  inspectDeadLetter,
  listDeadLetters,
  type OperatorFilter,
  parseTime,
  peekQueue,
  purgeDeadLetters,
  queueOverview,
  replayDeadLetters,
  selectsAll,
} from './actions/index.js';
import { confirm } from './confirm.js';
import {
  CONNECTION_ENV,
  type ConnectionFlags,
  type OpenQueue,
  openQueue,
  resolveConnection,
} from './connect/connection.js';
import { describeError, ExitCode, exitCodeOf } from './exit.js';
import { addKinesisCommands } from './kinesis-commands.js';
import { deadLetterTable, deadLetterView, peekTable, queuesTable } from './render.js';

/** Streams and environment of one CLI run (the process's own, or a test's). */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The flags every command sees. */
export interface GlobalFlags extends ConnectionFlags {
  readonly json?: boolean;
  readonly debug?: boolean;
}

interface FilterFlags {
  readonly type?: string;
  readonly since?: string;
  readonly until?: string;
  readonly id?: string[];
  readonly error?: string;
}

const positiveInt =
  (name: string, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}.`);
    return n;
  };

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

function addFilterOptions(command: Command): Command {
  return command
    .option('--type <type>', 'only dead letters of this message type')
    .option(
      '--since <time>',
      'only dead-lettered at or after this time (ISO-8601, or 15m/2h/7d ago)',
    )
    .option('--until <time>', 'only dead-lettered before this time (ISO-8601, or 15m/2h/7d ago)')
    .option('--id <id>', 'only this message id (repeat for several)', collect)
    .option('--error <text>', 'only those whose last error contains this text (case-insensitive)');
}

function toFilter(flags: FilterFlags, now: number): OperatorFilter {
  return {
    type: flags.type,
    ids: flags.id,
    errorText: flags.error,
    since: flags.since === undefined ? undefined : parseTime(flags.since, '--since', now),
    until: flags.until === undefined ? undefined : parseTime(flags.until, '--until', now),
  };
}

const describeFilter = (filter: OperatorFilter): string =>
  selectsAll(filter) ? 'ALL' : 'the matching';

/** Builds the `mqkit` command tree; `run` executes one command against an opened queue. */
export function buildProgram(io: CliIO, setExit: (code: ExitCode) => void): Command {
  const out = (text: string): void => void io.stdout.write(`${text}\n`);
  const program = new Command('mqkit')
    .description(
      'Inspect and repair mqkit queues: depth, next due messages, dead letters.\n' +
        `Connects with --url, or ${CONNECTION_ENV.database} (PostgreSQL, MySQL/MariaDB), ${CONNECTION_ENV.mongodb},\n` +
        `or ${CONNECTION_ENV.redis} with --kinesis-endpoint/--region (Kinesis).`,
    )
    .version('0.0.0', '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(
      new Option(
        '--url <url>',
        'backend URL: postgres://, mysql://, mariadb://, mongodb://, or redis:// (Kinesis)',
      ),
    )
    .addOption(
      new Option('--namespace <ns>', "queue namespace (as in the app's options)").env(
        'MQKIT_NAMESPACE',
      ),
    )
    .option('--table <name>', 'PostgreSQL/MySQL message table', 'mqkit_messages')
    .option('--collection <name>', 'MongoDB message collection', 'mqkit_messages')
    .option('--database <name>', "MongoDB database (default: the URL's)")
    .option(
      '--timeout <ms>',
      'connect timeout in milliseconds',
      positiveInt('--timeout', 600_000),
      5_000,
    )
    .addOption(
      new Option('--kinesis-endpoint <url>', 'Kinesis endpoint (with a redis:// URL)').env(
        'MQKIT_KINESIS_ENDPOINT',
      ),
    )
    .addOption(new Option('--region <region>', 'AWS region of the stream').env('AWS_REGION'))
    .option('--key-prefix <prefix>', "Redis key prefix of @mqkit/kinesis (default: 'mqkit')")
    .option('--json', 'print JSON instead of tables (for scripts)')
    .option('--debug', 'print stack traces and causes on errors')
    .configureHelp({ helpWidth: 100 })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 backend error, 2 bad usage, 3 unknown queue or dead letter, 4 not confirmed.',
    )
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .exitOverride();

  async function run(
    command: Command,
    action: (open: OpenQueue, flags: GlobalFlags) => Promise<void>,
    extra: Partial<ConnectionFlags> = {},
  ): Promise<void> {
    const flags = command.optsWithGlobals<GlobalFlags & { timeout: number }>();
    const connectionFlags = { ...flags, timeoutMs: flags.timeout, ...extra };
    let open: OpenQueue | undefined;
    try {
      open = openQueue(resolveConnection(flags, io.env), connectionFlags);
      await action(open, flags);
    } catch (error) {
      io.stderr.write(`${describeError(error, flags.debug === true)}\n`);
      setExit(exitCodeOf(error));
    } finally {
      await open?.close().catch(() => undefined);
    }
  }

  program
    .command('queues')
    .description(
      "show each queue's depth: ready, delayed, in flight, dead-lettered, oldest ready age",
    )
    .argument(
      '[queue...]',
      'queues to show (default: every queue holding messages or dead letters)',
    )
    .action(async (names: string[], _o, command: Command) => {
      await run(command, async ({ queue }, flags) => {
        const stats = await queueOverview(queue, names);
        out(flags.json ? JSON.stringify(stats) : queuesTable(stats));
      });
    });

  program
    .command('peek')
    .description('show the next due messages of a queue without claiming them')
    .argument('<queue>', 'queue name (without namespace)')
    .option('-n, --limit <n>', 'how many messages', positiveInt('--limit', 1_000), 10)
    .option('--payloads', 'include payloads (they may hold personal data)')
    .option('--stream <name>', 'Kinesis: the stream, when the app maps the queue explicitly')
    .action(
      async (
        name: string,
        o: { limit: number; payloads?: boolean; stream?: string },
        command: Command,
      ) => {
        const streams = o.stream === undefined ? undefined : { [name]: o.stream };
        await run(
          command,
          async ({ queue }, flags) => {
            const payloads = o.payloads === true;
            const messages = await peekQueue(queue, name, { limit: o.limit, payloads });
            out(flags.json ? JSON.stringify(messages) : peekTable(messages, payloads, Date.now()));
          },
          { streams },
        );
      },
    );

  const dlq = program
    .command('dlq')
    .description('list, inspect, replay or purge dead letters')
    .helpOption('-h, --help', 'show help');

  addFilterOptions(
    dlq
      .command('list')
      .description('list dead letters, oldest first')
      .argument('<queue>', 'queue name (without namespace)'),
  )
    .option('-n, --limit <n>', 'page size', positiveInt('--limit', 10_000), 100)
    .option('--offset <n>', 'entries to skip', (v) => Number(v), 0)
    .option('--payloads', 'include payloads (they may hold personal data)')
    .action(
      async (
        name: string,
        o: FilterFlags & { limit: number; offset: number; payloads?: boolean },
        command: Command,
      ) => {
        await run(command, async ({ queue }, flags) => {
          const payloads = o.payloads === true;
          const filter = toFilter(o, Date.now());
          const list = await listDeadLetters(queue, name, {
            filter,
            limit: o.limit,
            offset: o.offset,
            payloads,
          });
          out(flags.json ? JSON.stringify(list) : deadLetterTable(list, payloads));
        });
      },
    );

  dlq
    .command('inspect')
    .description('show one dead letter: its message, last error and attempts')
    .argument('<queue>', 'queue name (without namespace)')
    .argument('<id>', 'message id')
    .option('--payloads', 'include the payload (it may hold personal data)')
    .action(async (name: string, id: string, o: { payloads?: boolean }, command: Command) => {
      await run(command, async ({ queue }, flags) => {
        const payloads = o.payloads === true;
        const found = await inspectDeadLetter(queue, name, id, { payloads });
        out(flags.json ? JSON.stringify(found) : deadLetterView(found, payloads));
      });
    });

  const pastTense = { replay: 'replayed', purge: 'purged' } as const;
  for (const verb of ['replay', 'purge'] as const) {
    addFilterOptions(
      dlq
        .command(verb)
        .description(
          verb === 'replay'
            ? 'move dead letters back onto the live queue (attempts reset)'
            : 'delete dead letters for good',
        )
        .argument('<queue>', 'queue name (without namespace)'),
    )
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (name: string, o: FilterFlags & { yes?: boolean }, command: Command) => {
        await run(command, async ({ queue }, flags) => {
          const filter = toFilter(o, Date.now());
          const matching = await countMatching(queue, name, filter);
          if (matching === 0) {
            out(
              flags.json
                ? JSON.stringify({ [pastTense[verb]]: 0 })
                : `no ${describeFilter(filter) === 'ALL' ? '' : 'matching '}dead letters in "${name}": nothing to ${verb}`,
            );
            return;
          }
          await confirm(
            `${verb === 'replay' ? 'Replay' : 'Permanently delete'} ${describeFilter(filter)} ${matching} dead letter(s) of "${name}"?`,
            o.yes === true,
            io,
          );
          const done =
            verb === 'replay'
              ? await replayDeadLetters(queue, name, filter)
              : await purgeDeadLetters(queue, name, filter);
          out(
            flags.json
              ? JSON.stringify({ [pastTense[verb]]: done })
              : `${pastTense[verb]} ${done} dead letter(s) of "${name}"`,
          );
        });
      });
  }
  addKinesisCommands(program, run, out, io);
  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code; never
 * throws and never calls `process.exit` (the binary does).
 */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  let code: ExitCode = ExitCode.OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; usage errors were already printed.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.stderr.write(`${describeError(error, argv.includes('--debug'))}\n`);
    return exitCodeOf(error);
  }
  return code;
}
