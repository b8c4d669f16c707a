import type { Serializer } from '../serializer.js';
import type { ErrorInfo, Message } from '../types.js';
import type { Claim, DeadLetterReason } from './backend.js';
import { decodeEnvelope, poisonError } from './decode.js';
import { attemptsExhausted, leaseExpiredError } from './failure-policy.js';

/** Claims split into those a handler gets (with their decoded messages) and those it must not. */
export interface Admission<C extends Claim> {
  /** Deliverable claims, in claim order. */
  readonly claims: C[];
  /** Their decoded messages, index for index. */
  readonly messages: Message[];
  /** Claims to dead-letter at once: an unreadable payload, or a redelivery past the last attempt. */
  readonly rejected: readonly Rejection<C>[];
}

/** A claim to dead-letter without a handler call. */
export interface Rejection<C extends Claim> {
  readonly claim: C;
  readonly error: ErrorInfo;
  readonly reason: DeadLetterReason;
}

/**
 * Decodes claimed envelopes once. A redelivery past its solo run (its lease expired on the last
 * attempt, and again when it ran alone: a crash loop) is rejected as `lease-expired`; a payload
 * the serializer cannot read is rejected as `poison`. Neither stops the claims behind it. Pure
 * apart from the serializer.
 */
export function admitClaims<C extends Claim>(
  claimed: C[],
  queue: string,
  serializer: Serializer,
): Admission<C> {
  const messages = new Array<Message>(claimed.length);
  let rejected: Rejection<C>[] | undefined;
  const claims = admitInto(claimed, queue, serializer, messages, (r) => {
    rejected ??= [];
    rejected.push(r);
  });
  return { claims, messages, rejected: rejected ?? NONE };
}

/**
 * {@link admitClaims} for the consume loop's per-call path, without a result object: writes the
 * decoded messages into `messages` (pass `new Array(claimed.length)`: a growing array reserves
 * 17 slots on its first push; it is shortened when claims are rejected), hands each rejection to
 * `reject` and returns the deliverable claims — `claimed` itself in the common case that rejects
 * nothing (no copies made).
 */
export function admitInto<C extends Claim>(
  claimed: C[],
  queue: string,
  serializer: Serializer,
  messages: Message[],
  reject: (rejection: Rejection<C>) => void,
): C[] {
  let claims: C[] | undefined;
  let count = 0;
  for (let i = 0; i < claimed.length; i++) {
    const claim = claimed[i] as C;
    let problem: Rejection<C> | undefined;
    if (attemptsExhausted(claim)) {
      problem = { claim, error: leaseExpiredError(claim), reason: 'lease-expired' };
    } else {
      try {
        // Decoded first: `messages[count++] = …` would count a message whose decode threw.
        const message = decodeEnvelope(claim, queue, serializer);
        messages[count++] = message;
      } catch (error) {
        problem = { claim, error: poisonError(error, serializer), reason: 'poison' };
      }
    }
    if (problem !== undefined) {
      claims ??= claimed.slice(0, i);
      reject(problem);
    } else if (claims !== undefined) claims.push(claim);
  }
  if (messages.length !== count) messages.length = count;
  return claims ?? claimed;
}

const NONE: readonly never[] = Object.freeze([]);
