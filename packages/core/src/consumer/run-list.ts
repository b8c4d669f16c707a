/** The links a {@link RunList} keeps on each member (owned by the list: do not touch). */
export interface ListLinks<T> {
  listPrev: T | undefined;
  listNext: T | undefined;
  listed: boolean;
}

/**
 * The consume loop's running handler calls, in the order they started: a doubly linked list
 * through fields of the members themselves. A `Set` did the same job, but a set of ~50 members
 * with one add and one delete per handler call rehashes its table every few dozen calls; at a
 * million calls per second the hashing and rehashing cost ~500 instructions per call. Adding and
 * deleting here touch a few fields. Iteration (timers and `stop()` only) visits a snapshot taken
 * when it begins, skipping members deleted meanwhile; members added meanwhile are not visited.
 * A member is in at most one list.
 */
export class RunList<T extends ListLinks<T>> implements Iterable<T> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  private count = 0;

  /** Members in the list. */
  get size(): number {
    return this.count;
  }

  /** Appends `item` (nothing happens when it is listed already). */
  add(item: T): void {
    if (item.listed) return;
    item.listed = true;
    item.listPrev = this.tail;
    item.listNext = undefined;
    if (this.tail === undefined) this.head = item;
    else this.tail.listNext = item;
    this.tail = item;
    this.count++;
  }

  /** Removes `item`; false when it was not listed. */
  delete(item: T): boolean {
    if (!item.listed) return false;
    const prev = item.listPrev;
    const next = item.listNext;
    if (prev === undefined) this.head = next;
    else prev.listNext = next;
    if (next === undefined) this.tail = prev;
    else next.listPrev = prev;
    // Unlinked: a member kept alive elsewhere (a handler holding its context) keeps no other alive.
    item.listPrev = undefined;
    item.listNext = undefined;
    item.listed = false;
    this.count--;
    return true;
  }

  /** Removes every member. */
  clear(): void {
    for (const item of this.snapshot()) this.delete(item);
  }

  /** The members in insertion order; see the class comment for changes during iteration. */
  *[Symbol.iterator](): Iterator<T> {
    for (const item of this.snapshot()) if (item.listed) yield item;
  }

  private snapshot(): T[] {
    const items: T[] = [];
    for (let item = this.head; item !== undefined; item = item.listNext) items.push(item);
    return items;
  }
}
