/**
 * The claims a consumer holds ahead of its handlers (prefetch), in claim order: the arrays claims
 * arrived in, read from a head index. `Array.prototype.shift` on an array longer than ~100
 * elements leaves V8's fast path (a runtime call and a left-trim of the backing store per call):
 * with the default prefetch of hundreds of claims that cost ~150 ns per message, more than a
 * lifecycle event. Appending keeps the claim's own array (no copy, no growing backing store);
 * taking one is O(1).
 */
export class ClaimBuffer<C> {
  /** Arrays of claims, oldest first; `chunks[0]` is read from `head`. */
  private chunks: C[][] = [];
  private head = 0;
  private size = 0;

  /** Claims held. */
  get length(): number {
    return this.size;
  }

  /** Appends `claims` in order; the buffer keeps the array (do not change it afterwards). */
  pushAll(claims: C[]): void {
    if (claims.length === 0) return;
    this.chunks.push(claims);
    this.size += claims.length;
  }

  /** Removes and returns the oldest claim; `undefined` when empty. */
  shift(): C | undefined {
    if (this.size === 0) return undefined;
    const chunk = this.chunks[0] as C[];
    const claim = chunk[this.head] as C;
    chunk[this.head] = undefined as C; // not kept alive by the buffer
    this.head++;
    this.size--;
    if (this.head === chunk.length) this.nextChunk();
    return claim;
  }

  /** Removes and returns up to `n` of the oldest claims. */
  take(n: number): C[] {
    // Sized up front: a push-grown array reallocates its backing store several times on the way
    // to a batch of 100.
    const count = Math.min(n, this.size);
    const taken = new Array<C>(count);
    let k = 0;
    while (k < count) {
      const chunk = this.chunks[0] as C[];
      const end = Math.min(chunk.length, this.head + count - k);
      for (let i = this.head; i < end; i++) {
        taken[k++] = chunk[i] as C;
        chunk[i] = undefined as C;
      }
      this.size -= end - this.head;
      this.head = end;
      if (this.head === chunk.length) this.nextChunk();
    }
    return taken;
  }

  /** Removes and returns every claim held. */
  takeAll(): C[] {
    return this.take(this.size);
  }

  /** Keeps only the claims `keep` accepts (in order). */
  retain(keep: (claim: C) => boolean): void {
    const kept = this.takeAll().filter(keep);
    this.pushAll(kept);
  }

  /** Appends every claim held to `into`. */
  collect(into: C[]): void {
    let from = this.head;
    for (const chunk of this.chunks) {
      for (let i = from; i < chunk.length; i++) into.push(chunk[i] as C);
      from = 0;
    }
  }

  /** Drops every claim. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }

  private nextChunk(): void {
    this.chunks.shift(); // a handful of chunks: shift stays on V8's fast path
    this.head = 0;
  }
}
