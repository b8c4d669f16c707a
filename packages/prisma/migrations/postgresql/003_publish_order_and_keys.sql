-- @mqkit/prisma 003 (PostgreSQL 12+): publish order and per-key ordering.
-- Apply after 002, before upgrading to a version that claims with "mqkit_messages_claim_in_order".
-- Idempotent; applyMigrations runs every file in one transaction under an advisory lock.
--
-- "seq" numbers messages in publish order: the claim's last tie-break (same priority, same
-- run_at millisecond) and the order within a partition key. A keyed message is claimable only
-- while no older message of its key is left in the table (in flight, waiting for a retry or
-- simply earlier), so one message per key is in flight at a time, in publish order, across
-- consumers and retries; unkeyed rows skip that test.

CREATE SEQUENCE IF NOT EXISTS "mqkit_messages_seq";

ALTER TABLE "mqkit_messages" ADD COLUMN IF NOT EXISTS "seq" bigint NOT NULL DEFAULT nextval('"mqkit_messages_seq"');

ALTER SEQUENCE "mqkit_messages_seq" OWNED BY "mqkit_messages"."seq";

-- The claim index gains "seq" (keeping its name, so 001's CREATE INDEX IF NOT EXISTS stays a
-- no-op); rebuilt only when it lacks the column.
DO $$
DECLARE old regclass;
BEGIN
  SELECT i.indexrelid::regclass INTO old FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
  WHERE i.indrelid = '"mqkit_messages"'::regclass AND c.relname LIKE '%\_claim\_idx'
    AND NOT EXISTS (SELECT 1 FROM pg_attribute AS a WHERE a.attrelid = i.indexrelid AND a.attname = 'seq');
  IF old IS NOT NULL THEN
    EXECUTE format('DROP INDEX %s', old);
    CREATE INDEX "mqkit_messages_claim_idx" ON "mqkit_messages" ("queue", "priority" DESC, "run_at", "seq");
  END IF;
END
$$;

-- The head-of-key test: is there an older message with this key? Keyed rows only.
CREATE INDEX IF NOT EXISTS "mqkit_messages_key_idx"
  ON "mqkit_messages" ("queue", "partition_key", "seq") WHERE "partition_key" IS NOT NULL;

-- The claim of 001 with both rules: ordered by (priority DESC, run_at, seq), keyed rows only when
-- they head their key. Returns "seq" too, so the caller can restore claim order.
CREATE OR REPLACE FUNCTION "mqkit_messages_claim_in_order"(p_queue text, p_limit integer, p_token text, p_lease_ms bigint)
RETURNS TABLE (id varchar, type varchar, payload text, headers text, partition_key varchar,
  priority integer, attempt integer, max_attempts integer, created_at timestamptz, run_at timestamptz, seq bigint)
LANGUAGE sql VOLATILE
SET enable_sort = off
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $$
  WITH c AS (
    SELECT m.queue, m.id, m.run_at FROM "mqkit_messages" AS m
    WHERE m.queue = p_queue AND m.run_at <= now()
      AND (m.partition_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM "mqkit_messages" AS e
        WHERE e.queue = m.queue AND e.partition_key = m.partition_key AND e.seq < m.seq))
    ORDER BY m.priority DESC, m.run_at, m.seq
    LIMIT p_limit
    FOR UPDATE OF m SKIP LOCKED
  )
  UPDATE "mqkit_messages" AS t
  SET lease_token = p_token,
      lease_until = now() + p_lease_ms * interval '1 millisecond',
      run_at = now() + p_lease_ms * interval '1 millisecond',
      attempt = t.attempt + 1
  FROM c WHERE t.queue = c.queue AND t.id = c.id
  RETURNING t.id, t.type, t.payload, t.headers, t.partition_key, t.priority, t.attempt,
    t.max_attempts, t.created_at, c.run_at, t.seq
$$;
