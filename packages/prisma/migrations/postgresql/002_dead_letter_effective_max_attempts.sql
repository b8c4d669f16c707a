-- @mqkit/prisma 002 (PostgreSQL 12+): the maxAttempts a consumer applied when it dead-lettered a
-- message. "max_attempts" stays the message's own (NULL when it had none), which replay puts
-- back; dead-letter queries show "effective_max_attempts". Apply after 001_init.sql, before
-- upgrading to a version that writes it. Idempotent.

ALTER TABLE "mqkit_messages_dead_letters" ADD COLUMN IF NOT EXISTS "effective_max_attempts" integer;
