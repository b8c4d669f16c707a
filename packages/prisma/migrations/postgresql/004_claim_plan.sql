-- @mqkit/prisma 004 (PostgreSQL 12+): a claim that costs O(limit) rows, not O(table).
-- Apply after 003. Idempotent (CREATE OR REPLACE); it changes no table, so it is safe on a live
-- queue. Same signature and result as 003's function: older versions keep working with it.
--
-- 003's claim was a LANGUAGE sql function. PostgreSQL plans such a function's statement anew on
-- every call as a generic plan, without the value of p_limit, so it guesses that a claim returns
-- a tenth of the table and joins the claimed rows back to the table with a hash join over a full
-- scan of the primary key: every claim read every row of the table (measured: 20,000 rows, claims
-- of 200, 28-34 ms per claim instead of 10-13 ms at load average 5; the batch-1 drain of
-- docs/benchmarks-prisma.md made 100 such claims). Now:
--   * PL/pgSQL: the statement is planned with the call's values (a custom plan, whose LIMIT the
--     planner knows), and
--   * enable_hashjoin/enable_mergejoin = off pin the join to a nested loop over the primary key
--     (one index probe per claimed row), whatever plan the planner would otherwise pick,
-- beside 003's pins of the ordered scan of the claim index (enable_sort/bitmapscan/seqscan off).
-- Every column reference is qualified: the OUT columns of RETURNS TABLE are PL/pgSQL variables.
CREATE OR REPLACE FUNCTION "mqkit_messages_claim_in_order"(p_queue text, p_limit integer, p_token text, p_lease_ms bigint)
RETURNS TABLE (id varchar, type varchar, payload text, headers text, partition_key varchar,
  priority integer, attempt integer, max_attempts integer, created_at timestamptz, run_at timestamptz, seq bigint)
LANGUAGE plpgsql VOLATILE
SET enable_sort = off
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
  RETURN QUERY
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
    t.max_attempts, t.created_at, c.run_at, t.seq;
END
$$;

-- The acknowledgement. As a plain DELETE joined to the batch (unnest of ids and tokens) it was
-- planned from the table's statistics, which are often wrong on a queue table (never analyzed
-- yet, or analyzed before this queue's burst): PostgreSQL then estimates the queue at one row and
-- reads all of it for every ack (measured: an ack of 51 on a fresh table of 20,000 rows, a hash
-- join over all 20,000 rows, 26 ms instead of 0.7 ms). Here the plan cannot depend on them:
--   1. each lease is looked up on the primary key, locked and fenced by its token: `id` is
--      bounded (>= and <=) rather than equated and the rows are ordered by (queue, id) with
--      sorting disabled, so the primary key is the only index that yields that order without a
--      sort (with `id = x` the order would be redundant and the planner could pick the claim
--      index on `queue` alone);
--   2. the locked rows are deleted by ctid (stable: they are locked) with a TID scan.
-- FOR UPDATE re-checks the token on the row's latest version, so a lease re-claimed by another
-- consumer is not deleted. p_queue the stored queue, p_ids / p_tokens the leases, paired by
-- position. Returns the number of rows deleted.
CREATE OR REPLACE FUNCTION "mqkit_messages_ack"(p_queue text, p_ids text[], p_tokens text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_indexscan = on
AS $$
DECLARE
  n integer;
  tids tid[];
BEGIN
  SELECT array_agg(l.tid) INTO tids
  FROM unnest(p_ids, p_tokens) AS x(id, token)
  CROSS JOIN LATERAL (
    SELECT m.ctid AS tid FROM "mqkit_messages" AS m
    WHERE m.queue = p_queue AND m.id >= x.id AND m.id <= x.id AND m.lease_token = x.token
    ORDER BY m.queue, m.id
    LIMIT 1
    FOR UPDATE
  ) AS l;
  IF tids IS NULL THEN
    RETURN 0;
  END IF;
  -- Only a TID scan is left for the delete (restored when the function returns).
  PERFORM set_config('enable_indexscan', 'off', true);
  DELETE FROM "mqkit_messages" AS t WHERE t.ctid = ANY (tids);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
