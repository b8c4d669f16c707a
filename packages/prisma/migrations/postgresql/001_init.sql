-- @mqkit/prisma 001_init (PostgreSQL 12+).
-- Apply with `applyMigrations(prisma, { dialect: 'postgresql' })` or
-- `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f 001_init.sql`. Idempotent.
-- Table names are the defaults; applyMigrations substitutes configured ones.
--
-- A claimed row carries lease_token and lease_until, and its run_at is moved to lease_until:
-- "due" and "lease expired" are then the same test (run_at <= now()), so the claim is one
-- ordered range scan of mqkit_messages_claim_idx and an expired lease is reclaimed by the
-- ordinary claim. queue and id use the "C" collation: byte-wise comparison, the fastest
-- b-tree order, and ids compare exactly.

CREATE TABLE IF NOT EXISTS "mqkit_messages" (
  "queue"         varchar(200)   COLLATE "C" NOT NULL,
  "id"            varchar(200)   COLLATE "C" NOT NULL,
  "type"          varchar(200)   NOT NULL,
  "payload"       text           NOT NULL,
  "headers"       text,
  "partition_key" varchar(256),
  "priority"      integer        NOT NULL DEFAULT 0,
  "attempt"       integer        NOT NULL DEFAULT 0,
  "max_attempts"  integer,
  "created_at"    timestamptz(3) NOT NULL DEFAULT now(),
  "run_at"        timestamptz(3) NOT NULL DEFAULT now(),
  "lease_token"   varchar(64)    COLLATE "C",
  "lease_until"   timestamptz(3),
  "last_error"    text,
  CONSTRAINT "mqkit_messages_pkey" PRIMARY KEY ("queue", "id")
) WITH (
  -- A queue table churns: every row is inserted, updated and deleted within seconds. Vacuum
  -- and analyze after a fixed number of changes, not a fraction of a table that is often empty.
  autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000
);

CREATE INDEX IF NOT EXISTS "mqkit_messages_claim_idx"
  ON "mqkit_messages" ("queue", "priority" DESC, "run_at");

-- The claim: one UPDATE that leases the first `p_limit` due rows (highest priority first, then
-- oldest run_at), skipping rows other claimers have locked, with lease times from the database
-- clock. It is wrapped in a function only to pin its plan: right after a bulk load the table
-- statistics are stale (often "empty"), and the planner then prefers a bitmap scan plus a sort of
-- every ready row over the ordered index scan, which makes each claim O(ready rows) instead of
-- O(p_limit) (measured: 7-22 ms instead of 0.25 ms per claim of 500 with 20,000 ready).
-- Returns the leased rows with attempt already incremented and run_at as it was before the claim.
CREATE OR REPLACE FUNCTION "mqkit_messages_claim"(p_queue text, p_limit integer, p_token text, p_lease_ms bigint)
RETURNS TABLE (id varchar, type varchar, payload text, headers text, partition_key varchar,
  priority integer, attempt integer, max_attempts integer, created_at timestamptz, run_at timestamptz)
LANGUAGE sql VOLATILE
SET enable_sort = off
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $$
  WITH c AS (
    SELECT m.queue, m.id, m.run_at FROM "mqkit_messages" AS m
    WHERE m.queue = p_queue AND m.run_at <= now()
    ORDER BY m.priority DESC, m.run_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  )
  UPDATE "mqkit_messages" AS t
  SET lease_token = p_token,
      lease_until = now() + p_lease_ms * interval '1 millisecond',
      run_at = now() + p_lease_ms * interval '1 millisecond',
      attempt = t.attempt + 1
  FROM c WHERE t.queue = c.queue AND t.id = c.id
  RETURNING t.id, t.type, t.payload, t.headers, t.partition_key, t.priority, t.attempt,
    t.max_attempts, t.created_at, c.run_at
$$;

CREATE TABLE IF NOT EXISTS "mqkit_messages_dead_letters" (
  "queue"            varchar(200)   COLLATE "C" NOT NULL,
  "id"               varchar(200)   COLLATE "C" NOT NULL,
  "type"             varchar(200)   NOT NULL,
  "payload"          text           NOT NULL,
  "headers"          text,
  "partition_key"    varchar(256),
  "priority"         integer        NOT NULL DEFAULT 0,
  "attempt"          integer        NOT NULL,
  "max_attempts"     integer,
  "created_at"       timestamptz(3) NOT NULL,
  "run_at"           timestamptz(3) NOT NULL,
  "error"            text           NOT NULL,
  "dead_lettered_at" timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT "mqkit_messages_dead_letters_pkey" PRIMARY KEY ("queue", "id")
);

CREATE INDEX IF NOT EXISTS "mqkit_messages_dead_letters_queue_idx"
  ON "mqkit_messages_dead_letters" ("queue", "dead_lettered_at");
