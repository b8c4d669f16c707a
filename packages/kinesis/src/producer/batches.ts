/** PutRecords service limits; all three are configurable (AWS raised the record limit over time). */
export interface PutLimits {
  /** Records per PutRecords call. Kinesis: 500. */
  readonly maxRecords: number;
  /** Bytes per call (data + partition keys). Kinesis: 5 MiB. */
  readonly maxBytes: number;
  /** Bytes per record (data + partition key). Kinesis: 1 MiB. */
  readonly maxRecordBytes: number;
}

/** The Kinesis limits as of this release. */
export const KINESIS_PUT_LIMITS: PutLimits = Object.freeze({
  maxRecords: 500,
  maxBytes: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
});

/**
 * Splits records (given by their sizes in bytes, in order) into consecutive PutRecords calls
 * within `limits`; returns the index ranges `[start, end)`. Order is kept. A record over
 * `maxRecordBytes` is the caller's error: check before planning.
 */
export function planBatches(sizes: readonly number[], limits: PutLimits): [number, number][] {
  const batches: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    if (i > start && (i - start >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      batches.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < sizes.length) batches.push([start, sizes.length]);
  return batches;
}
