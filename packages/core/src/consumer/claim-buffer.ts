/** Dead slots at the front tolerated before {@link ClaimBuffer} compacts (and only past half). */
const COMPACT_AFTER = 1_024;

/**
 * The claims a consumer holds ahead of its handlers (prefetch), in claim order: a FIFO read from
 * a head index. `Array.prototype.shift` on an array longer than ~100 elements leaves V8's fast
 * path (a runtime call and a left-trim of the backing store per call): with the default prefetch
 * of hundreds of claims that cost ~150 ns per message, more than a lifecycle event. Taking from a
 * head index is O(1); the array is reset when emptied and compacted when mostly consumed.
 */
export class ClaimBuffer<C> {
  private items: C[] = [];
  private head = 0;

  /** Claims held. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends `claims` in order (adopts the array when the buffer is empty: no copy). */
  pushAll(claims: C[]): void {
    if (this.head === this.items.length) {
      this.items = claims;
      this.head = 0;
      return;
    }
    for (let i = 0; i < claims.length; i++) this.items.push(claims[i] as C);
  }

  /** Removes and returns the oldest claim; `undefined` when empty. */
  shift(): C | undefined {
    if (this.head === this.items.length) return undefined;
    const claim = this.items[this.head] as C;
    this.items[this.head++] = undefined as C; // not kept alive by the buffer
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) this.compact();
    return claim;
  }

  /** Removes and returns up to `n` of the oldest claims. */
  take(n: number): C[] {
    const end = Math.min(this.items.length, this.head + n);
    const taken = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) this.compact();
    return taken;
  }

  /** Removes and returns every claim held. */
  takeAll(): C[] {
    const all = this.head === 0 ? this.items : this.items.slice(this.head);
    this.clear();
    return all;
  }

  /** Keeps only the claims `keep` accepts (in order). */
  retain(keep: (claim: C) => boolean): void {
    const kept: C[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const claim = this.items[i] as C;
      if (keep(claim)) kept.push(claim);
    }
    this.items = kept;
    this.head = 0;
  }

  /** Appends every claim held to `into`. */
  collect(into: C[]): void {
    for (let i = this.head; i < this.items.length; i++) into.push(this.items[i] as C);
  }

  /** Drops every claim. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}
