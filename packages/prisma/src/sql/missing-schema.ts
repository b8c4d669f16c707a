/**
 * Driver codes for "no such table / column / function / index" (PostgreSQL, MySQL/MariaDB): the
 * last two are what a table from before migration 003 gives (no claim function, no order index).
 */
const MISSING_CODES = new Set(['42P01', '42703', '3F000', '1146', '1054', '1049', '42883', '1176']);
const MISSING_KINDS = new Set(['TableDoesNotExist', 'ColumnNotFound']);

/** True when a Prisma raw-query error says a table or column does not exist. */
export function isMissingSchemaError(error: unknown): boolean {
  const e = error as { meta?: { code?: unknown; driverAdapterError?: { cause?: unknown } } } | null;
  const cause = e?.meta?.driverAdapterError?.cause as
    | { originalCode?: unknown; kind?: unknown }
    | undefined;
  if (typeof cause?.kind === 'string' && MISSING_KINDS.has(cause.kind)) return true;
  if (typeof cause?.originalCode === 'string' && MISSING_CODES.has(cause.originalCode)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /\b(42P01|42703|1146|1054)\b|does not exist|doesn't exist|Unknown column/i.test(message);
}
