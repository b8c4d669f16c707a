import { ConfigurationError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { type PrepareContext, type PreparedMessage, prepareMessages } from '../publish.js';
import type { ResolvedQueueOptions } from '../queue-options.js';
import { storableStringProblem } from '../strings.js';
import type { Capabilities, PublishInput } from '../types.js';

/**
 * The id of every prepared message: the given one, else `generateId()`, whose result is checked
 * (a non-empty string of at most 200 storable characters) before any I/O. Throws
 * {@link ConfigurationError} naming `generateId` when it returns something else.
 */
export function assignIds(
  prepared: readonly PreparedMessage[],
  generateId: () => string,
  provider: string,
  custom: boolean,
): string[] {
  const ids = new Array<string>(prepared.length);
  for (let i = 0; i < prepared.length; i++)
    ids[i] = assignId((prepared[i] as PreparedMessage).id, generateId, provider, custom);
  return ids;
}

/** The id of one prepared message, as {@link assignIds} assigns it: `given`, else `generateId()` (checked when `custom`). */
export function assignId(
  given: string | undefined,
  generateId: () => string,
  provider: string,
  custom: boolean,
): string {
  if (given !== undefined) return given;
  const id = generateId();
  // Our own UUID generator needs no check; a user's must return what every backend can store.
  if (
    custom &&
    (typeof id !== 'string' ||
      id.length === 0 ||
      id.length > 200 ||
      storableStringProblem(id) !== undefined)
  ) {
    throw new ConfigurationError(
      'generateId',
      `[@mqkit/${provider}] option "generateId" must return a non-empty string of at most 200 characters without U+0000 or unpaired surrogates; nothing was published`,
    );
  }
  return id;
}

/** What {@link publishTail} reports about one publish call. */
export interface PublishTail {
  readonly provider: string;
  readonly queue: string;
  readonly prepared: readonly PreparedMessage[];
  readonly ids: readonly string[];
  /**
   * Indexes of the messages actually stored (deduplicated inputs are not "published" for
   * metrics); `undefined` when every message was stored.
   */
  readonly stored?: readonly number[] | undefined;
  readonly logger: Logger;
  readonly logPayloads: boolean;
  readonly lifecycle: LifecycleDispatcher;
}

/**
 * The end of every provider's `publish`: one debug line (payloads only with `logPayloads`) and
 * one `published` event listing the stored messages in input order.
 */
export function publishTail(t: PublishTail): void {
  t.logger.debug(
    t.logPayloads
      ? { queue: t.queue, ids: t.ids, payloads: t.prepared.map((p) => p.body) }
      : { queue: t.queue, count: t.ids.length },
    'published',
  );
  if (!t.lifecycle.active) return;
  const messages: { id: string; type: string }[] = [];
  if (t.stored === undefined) {
    for (let i = 0; i < t.ids.length; i++)
      messages.push({ id: t.ids[i] as string, type: (t.prepared[i] as PreparedMessage).type });
  } else {
    for (const i of t.stored)
      messages.push({ id: t.ids[i] as string, type: (t.prepared[i] as PreparedMessage).type });
  }
  if (messages.length > 0)
    t.lifecycle.emit({ type: 'published', provider: t.provider, queue: t.queue, messages });
}

/** What one provider instance publishes with: its name, capabilities and resolved options. */
export interface PublishKitContext {
  readonly provider: string;
  readonly capabilities: Capabilities;
  readonly options: ResolvedQueueOptions;
  /** True when the user supplied `generateId` (its results are checked, and may collide). */
  readonly customIds: boolean;
}

/** The two ends of every provider's `publish`, bound to one provider instance. */
export interface PublishKit {
  /**
   * Validates and serialises the whole input (`prepareMessages`), adds the lifecycle's trace
   * headers (`LifecycleProvider.propagate`) and assigns ids (`assignIds`), before any I/O.
   * Throws the typed error of the first problem.
   */
  prepare(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): {
    readonly prepared: PreparedMessage[];
    readonly ids: string[];
  };
  /** The debug line and the `published` event ({@link publishTail}); `stored` as there. */
  done(
    queue: string,
    prepared: readonly PreparedMessage[],
    ids: readonly string[],
    stored?: readonly number[],
  ): void;
}

/** Creates the {@link PublishKit} of one provider instance. */
export function createPublishKit(c: PublishKitContext): PublishKit {
  const { provider, options } = c;
  const prepareContext: PrepareContext = {
    provider,
    capabilities: c.capabilities,
    serializer: options.serializer,
    maxMessageBytes: options.maxMessageBytes,
  };
  return {
    prepare(queue, input) {
      const prepared = prepareMessages(input, prepareContext, {
        lifecycle: options.lifecycle,
        queue,
      });
      return { prepared, ids: assignIds(prepared, options.generateId, provider, c.customIds) };
    },
    done(queue, prepared, ids, stored) {
      publishTail({
        provider,
        queue,
        prepared,
        ids,
        stored,
        logger: options.logger,
        logPayloads: options.logPayloads,
        lifecycle: options.lifecycle,
      });
    },
  };
}
