-- @mqkit/prisma 003 (MySQL 8 / MariaDB 10.6+): publish order and per-key ordering.
-- Apply after 002, before upgrading to a version that orders claims by `seq`. Idempotent on
-- MariaDB; on MySQL 8 apply once by hand without "IF [NOT] EXISTS" (applyMigrations does that
-- and skips what already exists). Rebuilds the table once (ALGORITHM=COPY for the new column).
--
-- `seq` numbers messages in publish order: the claim's last tie-break (same priority, same
-- run_at millisecond; ids alone gave random order) and the order within a partition key. A
-- keyed message is claimable only while no older message of its key is left in the table.

ALTER TABLE `mqkit_messages`
  ADD COLUMN IF NOT EXISTS `seq` bigint NOT NULL AUTO_INCREMENT,
  ADD UNIQUE KEY IF NOT EXISTS `mqkit_messages_seq_key` (`seq`);

-- The claim index gains `seq` (a new name: 001's inline index cannot be redefined in place);
-- the head-of-key test gets its own index.
ALTER TABLE `mqkit_messages`
  DROP INDEX IF EXISTS `mqkit_messages_claim_idx`,
  ADD INDEX IF NOT EXISTS `mqkit_messages_order_idx` (`queue`, `priority` DESC, `run_at`, `seq`),
  ADD INDEX IF NOT EXISTS `mqkit_messages_key_idx` (`queue`, `partition_key`, `seq`);
