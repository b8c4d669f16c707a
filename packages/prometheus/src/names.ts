/**
 * Metric names without the prefix (default `mqkit_`), one place for code, docs and tests.
 * Counters end in `_total`, durations are seconds; see docs/metrics.md for each one.
 */
export const METRIC = {
  published: 'messages_published_total',
  delivered: 'messages_delivered_total',
  succeeded: 'messages_succeeded_total',
  failed: 'messages_failed_total',
  retried: 'messages_retried_total',
  deadLettered: 'messages_dead_lettered_total',
  handlerDuration: 'handler_duration_seconds',
  messageAge: 'message_age_seconds',
  inFlight: 'messages_in_flight',
  circuitOpen: 'circuit_open',
  backendErrors: 'backend_errors_total',
  leaseRenewalFailures: 'lease_renewal_failures_total',
  leasesLost: 'leases_lost_total',
  rebalances: 'rebalances_total',
  ownedShards: 'owned_shards',
  shardLag: 'shard_lag_seconds',
  checkpointAge: 'checkpoint_age_seconds',
  lifecycleErrors: 'lifecycle_errors_total',
  queueMessages: 'queue_messages',
  oldestReadyAge: 'queue_oldest_ready_age_seconds',
  statsErrors: 'stats_errors_total',
} as const;

/** One of the {@link METRIC} names (without prefix). */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];
