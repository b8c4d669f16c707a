export {
  type ActivityTotals,
  type ActivityTracker,
  createActivityTracker,
  type ShardLag,
} from './activity.js';
export { CSRF_COOKIE, CSRF_FIELD } from './csrf.js';
export { createDashboard, type Dashboard, type NextFunction } from './dashboard.js';
export type {
  DashboardAuth,
  DashboardKinesisOptions,
  DashboardOptions,
  PayloadOptions,
} from './options.js';
export { DEFAULT_REDACTED_FIELDS } from './redact.js';
