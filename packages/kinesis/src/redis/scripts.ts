import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** A Lua script with its SHA-1, run by {@link runScript}. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/**
 * A script read (once, on first use) from a `.lua` file. Pass `new URL('./x.lua', import.meta.url)`
 * from the module beside the file: in source that is the file itself; the build copies every
 * script next to `dist/index.js`, where the same relative URL points. A `prelude` file (same
 * rules) is put in front of the script: checks several scripts share, written once. A missing
 * file throws on first use.
 */
export function defineScript(name: string, file: URL, prelude?: URL): LuaScript {
  let loaded: { source: string; sha: string } | undefined;
  const load = () => {
    if (loaded === undefined) {
      const body = readFileSync(file, 'utf8');
      const source = prelude === undefined ? body : `${readFileSync(prelude, 'utf8')}\n${body}`;
      loaded = { source, sha: createHash('sha1').update(source).digest('hex') };
    }
    return loaded;
  };
  return {
    name,
    get source() {
      return load().source;
    },
    get sha() {
      return load().sha;
    },
  };
}

/**
 * Runs `script` by SHA and, when Redis answers NOSCRIPT (restart, failover, `SCRIPT FLUSH`),
 * once more with EVAL, which also reloads it into the script cache.
 */
export async function runScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
