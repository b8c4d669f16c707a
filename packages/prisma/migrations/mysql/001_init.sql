-- @mqkit/prisma 001_init (MySQL 8 / MariaDB 10.6+; 10.8+ for a real descending index).
-- Apply with `applyMigrations(prisma, { dialect: 'mysql' })` or
-- `mariadb -h HOST -u USER DB < 001_init.sql`. Idempotent.
-- Table names are the defaults; applyMigrations substitutes configured ones.
-- Times are UTC (UTC_TIMESTAMP(3)), whatever the session time zone.
--
-- mqkit_messages_claim_idx is required, not an optimisation: without it the claim's
-- ORDER BY is a filesort that locks every ready row under FOR UPDATE, and concurrent
-- claimers then find nothing to SKIP LOCKED past while hundreds of rows are free.

CREATE TABLE IF NOT EXISTS `mqkit_messages` (
  `queue`         varchar(200) NOT NULL,
  `id`            varchar(200) NOT NULL,
  `type`          varchar(200) NOT NULL,
  `payload`       longtext     NOT NULL,
  `headers`       text,
  `partition_key` varchar(256),
  `priority`      int          NOT NULL DEFAULT 0,
  `attempt`       int          NOT NULL DEFAULT 0,
  `max_attempts`  int,
  `created_at`    datetime(3)  NOT NULL,
  `run_at`        datetime(3)  NOT NULL,
  `lease_token`   varchar(64),
  `lease_until`   datetime(3),
  `last_error`    text,
  PRIMARY KEY (`queue`, `id`),
  KEY `mqkit_messages_claim_idx` (`queue`, `priority` DESC, `run_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `mqkit_messages_dead_letters` (
  `queue`            varchar(200) NOT NULL,
  `id`               varchar(200) NOT NULL,
  `type`             varchar(200) NOT NULL,
  `payload`          longtext     NOT NULL,
  `headers`          text,
  `partition_key`    varchar(256),
  `priority`         int          NOT NULL DEFAULT 0,
  `attempt`          int          NOT NULL,
  `max_attempts`     int,
  `created_at`       datetime(3)  NOT NULL,
  `run_at`           datetime(3)  NOT NULL,
  `error`            text         NOT NULL,
  `dead_lettered_at` datetime(3)  NOT NULL,
  PRIMARY KEY (`queue`, `id`),
  KEY `mqkit_messages_dead_letters_queue_idx` (`queue`, `dead_lettered_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
