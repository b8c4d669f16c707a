import { SerializationError } from './errors.js';

/** Turns payloads into strings and back. The default is {@link jsonSerializer}. */
export interface Serializer {
  /** Name recorded in docs and errors, e.g. `json`. */
  readonly name: string;
  /**
   * Serialises a payload. Throws {@link SerializationError} (naming the path) for values it
   * cannot represent; `publish` then publishes nothing of the batch.
   */
  serialize(payload: unknown): string;
  /** Inverse of `serialize`. */
  deserialize(data: string): unknown;
}

/**
 * JSON serializer. Rejects circular references, BigInt, functions, symbols, `Map`/`Set` and
 * `undefined` payloads with a {@link SerializationError} whose `path` names the value
 * (e.g. `payload.items[2].owner`), instead of letting `JSON.stringify` throw without a path or
 * silently drop the value.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  serialize(payload) {
    const problem = findUnserializable(payload);
    if (problem !== undefined) {
      throw new SerializationError(
        problem.path,
        `${problem.path} ${problem.reason}; payloads must be JSON-serialisable (use plain objects, arrays, strings, finite numbers, booleans, null), or pass a custom serializer`,
      );
    }
    return JSON.stringify(payload);
  },
  deserialize(data) {
    return JSON.parse(data);
  },
};

/** Where and why a value cannot be represented in JSON. */
export interface UnserializableValue {
  readonly path: string;
  readonly reason: string;
}

/** Finds the first value JSON cannot faithfully represent, or `undefined` when there is none. */
export function findUnserializable(
  value: unknown,
  root = 'payload',
): UnserializableValue | undefined {
  if (value === undefined) return { path: root, reason: 'is undefined' };
  const keys: (string | number)[] = [];
  const ancestors: object[] = [];
  const reason = walk(value, keys, ancestors);
  return reason === undefined ? undefined : { path: formatPath(root, keys), reason };
}

function walk(value: unknown, keys: (string | number)[], ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'bigint':
      return 'is a BigInt (convert it to a string or number first)';
    case 'function':
      return 'is a function';
    case 'symbol':
      return 'is a symbol';
  }
  if (value === null) return undefined;
  const object = value as object;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (
    object instanceof Map ||
    object instanceof Set ||
    object instanceof WeakMap ||
    object instanceof WeakSet
  ) {
    return `is a ${object.constructor.name} (convert it to an array or object first)`;
  }
  if (ancestors.includes(object)) return 'is a circular reference';
  ancestors.push(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      keys.push(i);
      const reason = walk(object[i], keys, ancestors);
      if (reason !== undefined) return reason;
      keys.pop();
    }
  } else {
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      keys.push(key);
      const reason = walk((object as Record<string, unknown>)[key], keys, ancestors);
      if (reason !== undefined) return reason;
      keys.pop();
    }
  }
  ancestors.pop();
  return undefined;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function formatPath(root: string, keys: readonly (string | number)[]): string {
  let path = root;
  for (const key of keys) {
    if (typeof key === 'number') path += `[${key}]`;
    else if (IDENTIFIER.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}
