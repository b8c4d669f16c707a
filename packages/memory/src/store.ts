import type { ErrorInfo, Headers } from '@mqkit/core';
import { WakeSignal } from '@mqkit/core/provider';
import { Deque } from './deque.js';
import { MinHeap } from './heap.js';

/** The fields a new record is created from. */
export interface RecordFields {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  readonly createdAt: number;
  readonly runAt: number;
  readonly partitionKey: string | undefined;
  readonly headers: Headers;
  readonly maxAttempts: number | undefined;
  readonly priority: number;
}

/**
 * A message as the memory store keeps it (payload serialised, so producers cannot mutate it
 * later). A class, so every record has one hidden shape: at a million records that matters.
 */
export class StoredMessage {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  readonly createdAt: number;
  runAt: number;
  readonly partitionKey: string | undefined;
  readonly headers: Headers;
  readonly maxAttempts: number | undefined;
  readonly priority: number;
  /** Deliveries so far. */
  attempt = 0;
  /** Current lease token; 0 when not leased. */
  token = 0;
  leaseUntil = 0;
  state: 'ready' | 'delayed' | 'leased' | 'waiting' | 'gone' = 'waiting';
  /** True when the record is in the store's id map (its id was chosen by the caller). */
  indexed = false;
  /** Resolvers of `publish` calls waiting for the first outcome (immediate mode). */
  onSettled: (() => void)[] | undefined = undefined;

  constructor(
    fields: RecordFields,
    readonly seq: number,
  ) {
    this.id = fields.id;
    this.type = fields.type;
    this.body = fields.body;
    this.createdAt = fields.createdAt;
    this.runAt = fields.runAt;
    this.partitionKey = fields.partitionKey;
    this.headers = fields.headers;
    this.maxAttempts = fields.maxAttempts;
    this.priority = fields.priority;
  }
}

/** A dead-lettered message. */
export interface StoredDeadLetter {
  readonly record: StoredMessage;
  readonly error: ErrorInfo;
  readonly attempts: number;
  /** The attempts the message was allowed (its own, or its consumer's `retry.maxAttempts`). */
  readonly maxAttempts: number;
  readonly deadLetteredAt: number;
}

const dueFirst = (a: StoredMessage, b: StoredMessage): boolean =>
  a.runAt < b.runAt || (a.runAt === b.runAt && a.seq < b.seq);

/**
 * One queue's state. Ready messages sit in one FIFO per priority (O(1) for the common single
 * priority), delayed ones in a heap by due time. Messages that share a `partitionKey` form a
 * group of which only the head is ever ready, delayed or leased: that is what orders them.
 */
export class QueueState {
  /**
   * Live records by id, for deduplication — only those whose id the publisher chose: generated
   * ids are UUIDs that cannot collide, and keeping a million of them in a Map costs a third of
   * the drain time.
   */
  private readonly byId = new Map<string, StoredMessage>();
  private live = 0;
  readonly deadLetters: StoredDeadLetter[] = [];
  /** Consumers running on this queue (any queue instance sharing the store). */
  activeConsumers = 0;
  private readonly ready = new Map<number, Deque<StoredMessage>>();
  private priorities: number[] = [];
  private readonly delayed = new MinHeap<StoredMessage>(dueFirst);
  /**
   * Records claimed since the last sweep, oldest first. Entries are never removed on ack: the
   * sweep drops those no longer leased, which keeps claim and ack O(1) with no hashing.
   */
  private readonly leases = new Deque<StoredMessage>();
  /**
   * True once a record went back to the queue under lease (retry, release) since the last sweep:
   * only then can a record sit in `leases` twice, and only then does the sweep need a set to keep
   * one entry each. A drain that only acknowledges sweeps without hashing.
   */
  private leasesMayRepeat = false;
  /** Records currently leased; `leases` is compacted when stale entries outnumber them. */
  private leasedCount = 0;
  private readonly groups = new Map<string, Deque<StoredMessage>>();
  private readonly wakeups = new WakeSignal();
  private minLeaseUntil = Number.POSITIVE_INFINITY;
  /** Records in the `delayed` heap whose state is still `delayed` (kept for `stats()`). */
  private delayedCount = 0;
  private seq = 0;
  private tokens = 0;

  /** Builds a record (not yet added). */
  create(fields: RecordFields): StoredMessage {
    return new StoredMessage(fields, ++this.seq);
  }

  /** True when a live record has this caller-given id. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Adds a new record; returns false (and adds nothing) when `explicitId` and that id is live.
   * Pass `explicitId: false` only for ids this store's owner generated (unique by construction).
   */
  add(record: StoredMessage, now: number, explicitId = true): boolean {
    if (explicitId) {
      if (this.byId.has(record.id)) return false;
      this.byId.set(record.id, record);
      record.indexed = true;
    }
    this.live++;
    const key = record.partitionKey;
    if (key !== undefined) {
      const group = this.groups.get(key);
      if (group !== undefined) {
        group.push(record);
        record.state = 'waiting';
        return true;
      }
      const fresh = new Deque<StoredMessage>();
      fresh.push(record);
      this.groups.set(key, fresh);
    }
    this.schedule(record, now);
    return true;
  }

  /** Claims up to `limit` due records: highest priority first, then in the order they became due. */
  claim(limit: number, leaseMs: number, now: number): StoredMessage[] {
    if (now >= this.minLeaseUntil) this.expireLeases(now);
    this.promoteDue(now);
    const out: StoredMessage[] = [];
    for (const priority of this.priorities) {
      const queue = this.ready.get(priority);
      if (queue === undefined) continue;
      while (out.length < limit) {
        const record = queue.shift();
        if (record === undefined) break;
        if (record.state !== 'ready') continue;
        record.state = 'leased';
        record.attempt++;
        record.token = ++this.tokens;
        record.leaseUntil = now + leaseMs;
        this.leases.push(record);
        this.leasedCount++;
        out.push(record);
      }
      if (out.length >= limit) break;
    }
    if (out.length > 0 && now + leaseMs < this.minLeaseUntil) this.minLeaseUntil = now + leaseMs;
    if (this.leases.length > 4_096 && this.leases.length > 4 * this.leasedCount)
      this.sweepLeases(now, false);
    return out;
  }

  /** Extends a lease; false when `token` no longer holds it. */
  extend(record: StoredMessage, token: number, leaseMs: number, now: number): boolean {
    if (record.token !== token || record.state !== 'leased') return false;
    record.leaseUntil = now + leaseMs;
    return true;
  }

  /** Removes a processed record; false when the lease token is stale. */
  ack(record: StoredMessage, token: number, now: number): boolean {
    if (!this.owns(record, token)) return false;
    this.remove(record, now);
    return true;
  }

  /** Reschedules a failed record after `delayMs`. */
  retry(record: StoredMessage, token: number, delayMs: number, now: number): boolean {
    if (!this.owns(record, token)) return false;
    this.unlease(record);
    this.leasesMayRepeat = true;
    record.runAt = now + delayMs;
    this.schedule(record, now);
    this.notifySettled(record);
    return true;
  }

  /** Gives a record back unprocessed: due now, attempt not counted. */
  release(record: StoredMessage, token: number, now: number): boolean {
    if (!this.owns(record, token)) return false;
    this.unlease(record);
    this.leasesMayRepeat = true;
    record.attempt--;
    record.runAt = now;
    this.schedule(record, now);
    this.notifySettled(record);
    return true;
  }

  /** Moves a record to the dead letters. */
  deadLetter(
    record: StoredMessage,
    token: number,
    error: ErrorInfo,
    maxAttempts: number,
    now: number,
  ): boolean {
    if (!this.owns(record, token)) return false;
    this.remove(record, now);
    this.deadLetters.push({
      record,
      error,
      attempts: record.attempt,
      maxAttempts,
      deadLetteredAt: now,
    });
    return true;
  }

  /** Milliseconds until the next delayed record is due or a lease may expire. */
  nextDueIn(now: number): number {
    const due = this.delayed.peek()?.runAt ?? Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(due, this.minLeaseUntil) - now);
  }

  /**
   * Resolves on the next wake-up (one that came while nobody waited counts), when something falls
   * due, after `timeoutMs`, or on abort.
   */
  wait(timeoutMs: number, signal: AbortSignal, now: number): Promise<void> {
    return this.wakeups.wait(Math.min(timeoutMs, this.nextDueIn(now)), signal);
  }

  /** Wakes every waiting consumer (remembered for the next wait when none waits). */
  wake(): void {
    this.wakeups.wake();
  }

  /**
   * Counts for `stats()`, from counters plus a look at the head of each priority's FIFO (the
   * oldest due record of that priority). Promotes due records and expires leases first, as a
   * claim would, so the numbers are what a claim at `now` would see.
   */
  counts(now: number): {
    ready: number;
    delayed: number;
    inFlight: number;
    deadLettered: number;
    oldestReadyAt: number | undefined;
  } {
    if (now >= this.minLeaseUntil) this.expireLeases(now);
    this.promoteDue(now);
    let oldestReadyAt: number | undefined;
    for (const queue of this.ready.values()) {
      // Stale entries (claimed since they were queued) are dropped here as a claim would.
      let head = queue.peek();
      while (head !== undefined && head.state !== 'ready') {
        queue.shift();
        head = queue.peek();
      }
      if (head !== undefined && (oldestReadyAt === undefined || head.runAt < oldestReadyAt))
        oldestReadyAt = head.runAt;
    }
    return {
      ready: this.live - this.delayedCount - this.leasedCount,
      delayed: this.delayedCount,
      inFlight: this.leasedCount,
      deadLettered: this.deadLetters.length,
      oldestReadyAt,
    };
  }

  /**
   * Up to `limit` due records in claim order (priority, then due order), without claiming:
   * for operators. Stale queue entries (claimed or re-queued since) are skipped.
   */
  peek(limit: number, now: number): StoredMessage[] {
    if (now >= this.minLeaseUntil) this.expireLeases(now);
    this.promoteDue(now);
    const out: StoredMessage[] = [];
    const seen = new Set<StoredMessage>();
    for (const priority of this.priorities) {
      for (const record of this.ready.get(priority)?.values() ?? []) {
        if (out.length >= limit) return out;
        if (record.state !== 'ready' || seen.has(record)) continue;
        seen.add(record);
        out.push(record);
      }
    }
    return out;
  }

  /** Live (not dead-lettered) records. */
  get size(): number {
    return this.live;
  }

  private owns(record: StoredMessage, token: number): boolean {
    return record.state === 'leased' && record.token === token;
  }

  private unlease(record: StoredMessage): void {
    if (record.state === 'leased') this.leasedCount--;
    record.token = 0;
  }

  private remove(record: StoredMessage, now: number): void {
    this.unlease(record);
    record.state = 'gone';
    this.live--;
    // Only indexed (caller-chosen) ids are in the map: no hashing of generated ids on the hot path.
    if (record.indexed && this.byId.get(record.id) === record) this.byId.delete(record.id);
    this.notifySettled(record);
    const key = record.partitionKey;
    if (key === undefined) return;
    const group = this.groups.get(key);
    if (group === undefined) return;
    if (group.peek() === record) group.shift();
    else group.remove(record);
    const next = group.peek();
    if (next === undefined) this.groups.delete(key);
    else if (next.state === 'waiting') this.schedule(next, now);
  }

  private schedule(record: StoredMessage, now: number): void {
    if (record.runAt > now) {
      record.state = 'delayed';
      this.delayedCount++;
      this.delayed.push(record);
    } else {
      this.pushReady(record);
    }
  }

  private pushReady(record: StoredMessage): void {
    record.state = 'ready';
    let queue = this.ready.get(record.priority);
    if (queue === undefined) {
      queue = new Deque<StoredMessage>();
      this.ready.set(record.priority, queue);
      this.priorities.push(record.priority);
      this.priorities.sort((a, b) => b - a);
    }
    queue.push(record);
  }

  private promoteDue(now: number): void {
    for (
      let top = this.delayed.peek();
      top !== undefined && top.runAt <= now;
      top = this.delayed.peek()
    ) {
      this.delayed.pop();
      if (top.state === 'delayed') {
        this.delayedCount--;
        this.pushReady(top);
      }
    }
  }

  private expireLeases(now: number): void {
    this.sweepLeases(now, true);
  }

  /** Drops entries no longer leased and, when `expire`, makes expired leases due again. */
  private sweepLeases(now: number, expire: boolean): void {
    let min = Number.POSITIVE_INFINITY;
    // Kept entries are unique afterwards: the next sweep needs no set unless a record is re-leased.
    const held = this.leasesMayRepeat ? new Set<StoredMessage>() : undefined;
    this.leasesMayRepeat = false;
    for (let n = this.leases.length; n > 0; n--) {
      const record = this.leases.shift() as StoredMessage;
      if (record.state !== 'leased' || held?.has(record)) continue;
      if (expire && record.leaseUntil <= now) {
        this.unlease(record);
        record.runAt = now;
        this.pushReady(record);
      } else {
        held?.add(record);
        this.leases.push(record);
        if (record.leaseUntil < min) min = record.leaseUntil;
      }
    }
    this.minLeaseUntil = min;
  }

  private notifySettled(record: StoredMessage): void {
    const callbacks = record.onSettled;
    if (callbacks === undefined) return;
    record.onSettled = undefined;
    for (const callback of callbacks) callback();
  }
}
