/**
 * Rate limit for a repetitive log line: at most `burst` lines per `windowMs`; lines past that are
 * counted, and the next line let through reports how many were suppressed. Pure apart from the
 * clock passed in.
 */
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly burst = 5,
    private readonly windowMs = 10_000,
  ) {}

  /**
   * Returns `undefined` when the line must be dropped, else the number of lines suppressed since
   * the last one let through (0 usually).
   */
  admit(now: number): number | undefined {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.burst) {
      this.suppressed++;
      return undefined;
    }
    this.inWindow++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return suppressed;
  }
}
