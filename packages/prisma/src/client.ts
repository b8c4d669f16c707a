/**
 * The part of a PrismaClient that @mqkit/prisma uses: raw SQL and interactive transactions.
 * Any Prisma 6/7 client satisfies it (generated `PrismaClient` with `@prisma/adapter-pg` or
 * `@prisma/adapter-mariadb`); mqkit never calls `$connect` or `$disconnect` on it.
 */
export interface PrismaRawClient {
  /** Runs a raw query with bound parameters (`$1`… on PostgreSQL, `?` on MySQL). */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  /** Runs a raw statement with bound parameters; resolves to the affected row count. */
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** A {@link PrismaRawClient} that can also open an interactive transaction (MySQL claims need it). */
export interface PrismaClientLike extends PrismaRawClient {
  /** Interactive transaction, as on every PrismaClient. */
  $transaction<R>(
    fn: (tx: PrismaRawClient) => Promise<R>,
    options?: { isolationLevel?: string; maxWait?: number; timeout?: number },
  ): Promise<R>;
}

/** SQL dialect of the database behind the PrismaClient. */
export type PrismaDialect = 'postgresql' | 'mysql';

/** Reads the provider Prisma was generated for, without I/O; `undefined` when unknown. */
export function detectDialect(prisma: object): PrismaDialect | undefined {
  const internals = prisma as {
    _activeProvider?: unknown;
    _engineConfig?: { activeProvider?: unknown };
  };
  const provider = internals._activeProvider ?? internals._engineConfig?.activeProvider;
  if (provider === 'postgresql' || provider === 'postgres') return 'postgresql';
  if (provider === 'mysql') return 'mysql';
  return undefined;
}
