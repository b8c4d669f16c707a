import { messageInfoList } from './consumer/message-info.js';
import type {
  HandlerTraceInfo,
  LifecycleEvent,
  LifecycleProvider,
  PublishTraceInfo,
} from './lifecycle.js';

type Report = (error: unknown, event: LifecycleEvent, provider: LifecycleProvider) => void;

// A hook failure is reported with the event it stands nearest to, so onLifecycleError keeps one
// signature: `published` for propagation, `delivered` for the handler wrapper.
const publishEvent = (info: PublishTraceInfo): LifecycleEvent => ({
  type: 'published',
  provider: info.provider,
  queue: info.queue,
  messages: [],
});
const deliverEvent = (info: HandlerTraceInfo): LifecycleEvent => ({
  type: 'delivered',
  provider: info.provider,
  queue: info.queue,
  consumerId: info.consumerId,
  messages: messageInfoList(info.messages),
});

/**
 * Merges the `propagate` hooks of `providers` (later providers' headers win), each isolated: a
 * hook that throws adds nothing and is reported. `undefined` when no provider has the hook, so
 * the publish path skips it at no cost.
 */
export function propagateOf(
  providers: readonly LifecycleProvider[],
  report: Report,
): ((info: PublishTraceInfo) => Record<string, string> | undefined) | undefined {
  const hooks = providers.filter((p) => typeof p.propagate === 'function');
  if (hooks.length === 0) return undefined;
  return (info) => {
    let merged: Record<string, string> | undefined;
    for (const provider of hooks) {
      try {
        const headers = provider.propagate?.(info);
        if (headers !== undefined) merged = { ...merged, ...headers };
      } catch (error) {
        report(error, publishEvent(info), provider);
      }
    }
    return merged;
  };
}

/**
 * Nests the `aroundHandler` hooks of `providers` (the first outermost), each isolated: the
 * handler's own outcome always wins; a hook that throws before calling `run` is reported and the
 * handler runs without it; a hook failing after calling `run` is reported and ignored.
 */
export function aroundHandlerOf(
  providers: readonly LifecycleProvider[],
  report: Report,
): (<T>(info: HandlerTraceInfo, run: () => Promise<T>) => Promise<T>) | undefined {
  const hooks = providers.filter((p) => typeof p.aroundHandler === 'function');
  if (hooks.length === 0) return undefined;
  const wrapOne = async <T>(
    provider: LifecycleProvider,
    info: HandlerTraceInfo,
    next: () => Promise<T>,
  ): Promise<T> => {
    let handled: Promise<T> | undefined;
    const once = (): Promise<T> => {
      handled ??= next();
      return handled;
    };
    let threw = false;
    try {
      await provider.aroundHandler?.(info, once);
    } catch (error) {
      threw = true;
      // The handler's own failure passing through the hook is not the hook's failure.
      const own =
        handled !== undefined &&
        (await handled.then(
          () => false,
          (e) => e === error,
        ));
      if (!own) report(error, deliverEvent(info), provider);
    }
    if (handled === undefined) {
      if (!threw) {
        const error = new Error(`aroundHandler of "${provider.name}" did not call run`);
        report(error, deliverEvent(info), provider);
      }
      return next();
    }
    // The handler's outcome, whatever the hook did with it.
    return handled;
  };
  return <T>(info: HandlerTraceInfo, run: () => Promise<T>): Promise<T> => {
    let chain = run;
    for (let i = hooks.length - 1; i >= 0; i--) {
      const provider = hooks[i] as LifecycleProvider;
      const next = chain;
      chain = () => wrapOne(provider, info, next);
    }
    return chain();
  };
}
