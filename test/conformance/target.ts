import type { MessageQueue, QueueOptions, QueueStats } from '@mqkit/core';

/**
 * A provider under test. The conformance suite (`defineConformanceSuite` in ./suite.ts) calls
 * `create` once or more per test, always with fresh, random queue names, so targets need no
 * cleanup between tests.
 */
export interface ConformanceTarget {
  /** Shown in test names, e.g. `memory`, `prisma/postgresql`. */
  readonly name: string;
  /** Runs once before the suite (connect, create tables). */
  setup?(): Promise<void>;
  /**
   * Creates a queue with the given common options (namespace, logger, lifecycle, …). Queues
   * created from one target must share the same backing store (two instances = two "processes").
   */
  create(options: QueueOptions): MessageQueue | Promise<MessageQueue>;
  /** True while the user-supplied client (PrismaClient, MongoClient, …) is still usable. */
  userClientOpen?(): Promise<boolean>;
  /** Runs once after the suite. */
  teardown?(): Promise<void>;
  /**
   * Multiplies the suite's time allowances for slower backends (waits for redelivery,
   * delays). Default 1.
   */
  readonly timeScale?: number;
  /**
   * `stats()` fields this provider cannot measure (it returns `null` for them), e.g. a stream
   * provider's `ready`. Default: none — every count is checked exactly.
   */
  readonly unmeasuredStats?: readonly (keyof Omit<QueueStats, 'queue' | 'at'>)[];
  /**
   * False when the provider runs its own consumers (a stream provider's shard workers) and
   * `health()` cannot report a `lastClaimAt` for them. Default true.
   */
  readonly reportsClaims?: boolean;
  /** Creates a queue whose backend is unreachable (for the `health()` down case); the case is skipped without it. */
  createDown?(options: QueueOptions): MessageQueue | Promise<MessageQueue>;
  /**
   * Contract cases this provider does not meet yet, by a fragment of the case title, with the
   * reason. Each one is skipped with a loud `SKIPPED:` line, never passed silently; the list is
   * the provider's to-do list.
   */
  readonly knownGaps?: Readonly<Record<string, string>>;
}
