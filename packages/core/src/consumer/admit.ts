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
 * attempt, and again when it ran alone: a crash loop) is rejected as `lease-expired`; a payload the serializer cannot read is
 * rejected as `poison`. Neither stops the claims behind it. Pure apart from the serializer.
 */
export function admitClaims<C extends Claim>(
  claimed: C[],
  queue: string,
  serializer: Serializer,
): Admission<C> {
  // The common case rejects nothing: then `claimed` itself is returned, with no copies made.
  let claims: C[] | undefined;
  let rejected: Rejection<C>[] | undefined;
  const messages: Message[] = [];
  for (let i = 0; i < claimed.length; i++) {
    const claim = claimed[i] as C;
    let problem: Rejection<C> | undefined;
    if (attemptsExhausted(claim)) {
      problem = { claim, error: leaseExpiredError(claim), reason: 'lease-expired' };
    } else {
      try {
        messages.push(decodeEnvelope(claim, queue, serializer));
      } catch (error) {
        problem = { claim, error: poisonError(error, serializer), reason: 'poison' };
      }
    }
    if (problem !== undefined) {
      claims ??= claimed.slice(0, i);
      rejected ??= [];
      rejected.push(problem);
    } else if (claims !== undefined) claims.push(claim);
  }
  return { claims: claims ?? claimed, messages, rejected: rejected ?? NONE };
}

const NONE: readonly never[] = Object.freeze([]);
