-- @mqkit/prisma 001_init (PostgreSQL 12+).
-- Apply with `applyMigrations(prisma, { dialect: 'postgresql' })` or
-- `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f 001_init.sql`. Idempotent.
-- Table names are the defaults; applyMigrations substitutes configured ones.
--
-- A claimed row carries lease_token and lease_until, and its run_at is moved to lease_until:
-- "due" and "lease expired" are then the same test (run_at <= now()), so the claim is one
-- ordered range scan of mqkit_messages_claim_idx and an expired lease is reclaimed by the
-- ordinary claim.

CREATE TABLE IF NOT EXISTS "mqkit_messages" (
  "queue"         varchar(200)   NOT NULL,
  "id"            varchar(200)   NOT NULL,
  "type"          varchar(200)   NOT NULL,
  "payload"       text           NOT NULL,
  "headers"       text,
  "partition_key" varchar(256),
  "priority"      integer        NOT NULL DEFAULT 0,
  "attempt"       integer        NOT NULL DEFAULT 0,
  "max_attempts"  integer,
  "created_at"    timestamptz(3) NOT NULL DEFAULT now(),
  "run_at"        timestamptz(3) NOT NULL DEFAULT now(),
  "lease_token"   varchar(64),
  "lease_until"   timestamptz(3),
  "last_error"    text,
  CONSTRAINT "mqkit_messages_pkey" PRIMARY KEY ("queue", "id")
);

CREATE INDEX IF NOT EXISTS "mqkit_messages_claim_idx"
  ON "mqkit_messages" ("queue", "priority" DESC, "run_at");

CREATE TABLE IF NOT EXISTS "mqkit_messages_dead_letters" (
  "queue"            varchar(200)   NOT NULL,
  "id"               varchar(200)   NOT NULL,
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
