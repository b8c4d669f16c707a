export {
  createPrometheusLifecycle,
  type PrometheusLifecycle,
} from './lifecycle.js';
export { METRIC, type MetricName } from './names.js';
export {
  DEFAULT_AGE_BUCKETS,
  DEFAULT_DURATION_BUCKETS,
  type PrometheusBuckets,
  type PrometheusLifecycleOptions,
} from './options.js';
