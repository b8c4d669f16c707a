import { defineScript } from '../../redis/scripts.js';

// Relative to this module: src/rebalance/scripts/ in source, dist/ once built (copied there).
export const ownersScript = defineScript('owners', new URL('./owners.lua', import.meta.url));
