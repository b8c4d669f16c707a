import { defineScript } from '../../redis/scripts.js';

// Relative to this module: src/instances/scripts/ in source, dist/ once built (copied there).
export const heartbeatScript = defineScript(
  'heartbeat',
  new URL('./heartbeat.lua', import.meta.url),
);
