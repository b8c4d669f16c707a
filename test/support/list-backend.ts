import type { Claim, ConsumerBackend, Outcomes } from '@mqkit/core/provider';

/** A stored row of {@link ListStore}. */
interface Row {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  readonly maxAttempts: number;
  readonly createdAt: Date;
  attempt: number;
  runAt: number;
  token: number;
  leaseUntil: number;
}

/** Faults to inject: how many calls of each operation still fail (like a database outage). */
export interface Faults {
  claim: number;
  settle: number;
  extend: number;
}

/**
 * The smallest complete lease store behind the `@mqkit/core/provider` seam: claim with a token
 * and lease (expired leases are claimable again, attempt counted), extend, and fenced settles.
 * It exists to drive the kit's consume loop through its public interface with injected faults.
 */
export class ListStore {
  readonly rows: Row[] = [];
  readonly deadLetters: { id: string; reason: string; attempt: number }[] = [];
  readonly calls = { claim: 0 };
  private nextToken = 1;

  constructor(readonly faults: Faults = { claim: 0, settle: 0, extend: 0 }) {}

  /** Adds messages with JSON bodies (or the raw `body` given). */
  add(...items: { id: string; payload?: unknown; body?: string; maxAttempts?: number }[]): void {
    for (const i of items)
      this.rows.push({
        id: i.id,
        type: 't',
        body: i.body ?? JSON.stringify(i.payload),
        maxAttempts: i.maxAttempts ?? 3,
        createdAt: new Date(),
        attempt: 0,
        runAt: 0,
        token: 0,
        leaseUntil: 0,
      });
  }

  private fail(op: keyof Faults): void {
    if (this.faults[op] > 0) {
      this.faults[op]--;
      throw new Error(`injected ${op} failure (connection refused)`);
    }
  }

  private owned(c: Claim): Row | undefined {
    return this.rows.find((r) => r.id === c.id && r.token === c.token);
  }

  /** A {@link ConsumerBackend} over this store. */
  backend(): ConsumerBackend {
    return {
      claim: async (limit, leaseMs) => {
        this.calls.claim++;
        this.fail('claim');
        const now = Date.now();
        const due = this.rows.filter((r) => r.runAt <= now && r.leaseUntil <= now).slice(0, limit);
        return due.map((r) => {
          r.attempt++;
          r.token = this.nextToken++;
          r.leaseUntil = now + leaseMs;
          return {
            id: r.id,
            type: r.type,
            body: r.body,
            attempt: r.attempt,
            maxAttempts: r.maxAttempts,
            createdAt: r.createdAt,
            runAt: new Date(r.runAt),
            partitionKey: undefined,
            priority: 0,
            headers: {},
            token: r.token,
          };
        });
      },
      extend: async (claims, leaseMs) => {
        this.fail('extend');
        const lost: Claim[] = [];
        for (const c of claims) {
          const r = this.owned(c);
          if (r === undefined || r.leaseUntil < Date.now()) lost.push(c);
          else r.leaseUntil = Date.now() + leaseMs;
        }
        return lost;
      },
      settle: async (o: Outcomes) => {
        this.fail('settle');
        const remove = (r: Row): void => void this.rows.splice(this.rows.indexOf(r), 1);
        for (const c of o.acked) {
          const r = this.owned(c);
          if (r) remove(r);
        }
        for (const x of o.retried) {
          const r = this.owned(x.claim);
          if (r) Object.assign(r, { token: 0, leaseUntil: 0, runAt: Date.now() + x.delayMs });
        }
        for (const d of o.deadLettered) {
          const r = this.owned(d.claim);
          if (!r) continue;
          remove(r);
          this.deadLetters.push({ id: r.id, reason: d.reason, attempt: r.attempt });
        }
        for (const c of o.released) {
          const r = this.owned(c);
          if (r) Object.assign(r, { token: 0, leaseUntil: 0, runAt: 0, attempt: r.attempt - 1 });
        }
      },
    };
  }
}
