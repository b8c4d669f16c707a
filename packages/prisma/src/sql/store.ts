/** The columns of a {@link MessageRow} read as stored (both dialects); the times follow them. */
export const PLAIN_COLUMNS =
  'id, type, payload, headers, partition_key, priority, attempt, max_attempts';

/** A row to insert: one prepared message with its final id. */
export interface InsertRow {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  /** JSON of the headers, `null` when there are none. */
  readonly headers: string | null;
  readonly partitionKey: string | null;
  readonly priority: number;
  readonly maxAttempts: number | null;
  /** Due in this many ms from the database's `now()`. */
  readonly delayMs: number;
}

/** How {@link SqlStore.insert} inserts. */
export interface InsertOptions {
  /** Wake listeners (PostgreSQL NOTIFY). */
  readonly notify: boolean;
  /** Resolve to the ids actually inserted. */
  readonly report: boolean;
  /**
   * Every id was generated for this publish (mqkit's UUIDs): none can be stored already, so the
   * deduplication check can be left out.
   */
  readonly freshIds: boolean;
}

/** A message row as read back by a claim or a dead-letter query. */
export interface MessageRow {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  readonly headers: string | null;
  readonly partition_key: string | null;
  readonly priority: number;
  readonly attempt: number;
  readonly max_attempts: number | null;
  /** A Date, an ISO string or epoch milliseconds, as the dialect's query returns it. */
  readonly created_at: Date | string | number;
  readonly run_at: Date | string | number;
  /** Publish order (migration 003), returned by claims only. */
  readonly seq?: number | bigint | string | null;
}

/** A dead-letter row. `max_attempts` is the message's own (NULL when it had none). */
export interface DeadLetterRow extends MessageRow {
  /** The maxAttempts the consumer applied when it dead-lettered the message (NULL on rows dead-lettered before migration 002). */
  readonly effective_max_attempts: number | null;
  readonly error: string;
  readonly dead_lettered_at: Date | string;
}

/** A held lease: message id and the token its claim wrote. */
export interface LeaseRef {
  readonly id: string;
  readonly token: string;
}

/** A failed message to reschedule. */
export interface RetryRow extends LeaseRef {
  readonly delayMs: number;
  /** JSON of the ErrorInfo. */
  readonly error: string;
}

/** A failed message to dead-letter. */
export interface DeadLetterMove extends LeaseRef {
  /** JSON of the ErrorInfo. */
  readonly error: string;
  /** Due time of the message before it was claimed (claims move `run_at` to the lease end). */
  readonly runAt: Date;
  /** The maxAttempts in effect (the message's own, else the consumer's), shown by dead-letter queries. */
  readonly maxAttempts: number;
}

/** Criteria pushed down to SQL for dead-letter queries (`where` predicates run in JS). */
export interface DeadLetterQuery {
  readonly ids?: readonly string[];
  readonly type?: string;
  readonly before?: Date;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * Every statement @mqkit/prisma runs, for one dialect and one pair of tables. Each method is one
 * SQL statement (or one short transaction where the dialect needs it); `queue` is the qualified
 * queue name. Methods taking lease refs ignore rows whose `lease_token` no longer matches.
 */
export interface SqlStore {
  /**
   * Inserts rows, skipping ids already in the queue (deduplication); wakes listeners when
   * `notify`. When `report`, resolves to the ids actually inserted (not those deduplicated), in
   * no particular order; otherwise, or when nothing can have been deduplicated, to `undefined`.
   */
  insert(
    queue: string,
    rows: readonly InsertRow[],
    how: InsertOptions,
  ): Promise<string[] | undefined>;
  /**
   * Claims up to `limit` due rows under `token` for `leaseMs`: highest priority first, then oldest
   * `run_at`, then publish order (`seq`); a row with a partition key only while no older row of
   * its key is left (one message per key in flight, in publish order).
   */
  claim(queue: string, limit: number, leaseMs: number, token: string): Promise<MessageRow[]>;
  /** Extends the leases still held; resolves to the `id\0token` keys of those extended. */
  extend(queue: string, leases: readonly LeaseRef[], leaseMs: number): Promise<Set<string>>;
  /** Deletes acknowledged rows. */
  ack(queue: string, leases: readonly LeaseRef[]): Promise<void>;
  /** Clears leases and reschedules `run_at = now() + delayMs`, recording the error. */
  retry(queue: string, rows: readonly RetryRow[]): Promise<void>;
  /** Clears leases, makes rows due now and gives back the attempt the claim counted. */
  release(queue: string, leases: readonly LeaseRef[]): Promise<void>;
  /** Moves rows to the dead-letter table (atomically: insert there, delete here). */
  deadLetter(queue: string, moves: readonly DeadLetterMove[]): Promise<void>;
  /** Dead letters of `queue`, oldest first. */
  listDeadLetters(queue: string, query: DeadLetterQuery): Promise<DeadLetterRow[]>;
  /** Number of dead letters of `queue`. */
  countDeadLetters(queue: string): Promise<number>;
  /** Moves the dead letters `ids` back to the live queue (attempt 0, due now, their own `max_attempts`), skipping ids live again; resolves to how many moved. */
  replayDeadLetters(queue: string, ids: readonly string[], notify: boolean): Promise<number>;
  /** Deletes dead letters (`ids`, or all matching `query` when `ids` is undefined); resolves to how many. */
  purgeDeadLetters(queue: string, query: DeadLetterQuery): Promise<number>;
}

/** Key of a lease in {@link SqlStore.extend} results. */
export const leaseKey = (id: string, token: string): string => `${id}\u0000${token}`;
