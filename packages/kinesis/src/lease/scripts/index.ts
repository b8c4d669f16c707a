import { defineScript } from '../../redis/scripts.js';

// Each URL is relative to this module: src/lease/scripts/ in source, dist/ once built (the build
// copies the .lua files next to dist/index.js).
export const acquireScript = defineScript('acquire', new URL('./acquire.lua', import.meta.url));
// renew, checkpoint and attempt start with the same owner/fence/expiry check.
const ownerPrelude = new URL('./owner-prelude.lua', import.meta.url);

export const renewScript = defineScript(
  'renew',
  new URL('./renew.lua', import.meta.url),
  ownerPrelude,
);
export const releaseScript = defineScript('release', new URL('./release.lua', import.meta.url));
export const checkpointScript = defineScript(
  'checkpoint',
  new URL('./checkpoint.lua', import.meta.url),
  ownerPrelude,
);
export const attemptScript = defineScript(
  'attempt',
  new URL('./attempt.lua', import.meta.url),
  ownerPrelude,
);
