import { defineScript } from '../../redis/scripts.js';

// Relative to this module: src/dead-letter/scripts/ in source, dist/ once built (copied there).
export const addDeadLetterScript = defineScript(
  'dead-letter-add',
  new URL('./add.lua', import.meta.url),
);
