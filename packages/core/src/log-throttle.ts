/**
 * Rate limit for a repetitive log line: at most `burst` lines per `windowMs`; lines past that are
 * counted, and the next line let through reports how many were suppressed. {@link admit} is pure
 * apart from the clock passed in; {@link admitNow} is the hot-path form that reads no clock while
 * the window's burst is spent.
 */
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;
  private muted = false;

  constructor(
    private readonly burst = 5,
    private readonly windowMs = 10_000,
    private readonly clock: () => number = () => Date.now(),
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

  /**
   * {@link admit} at the current time, for lines that may come on every message (a lifecycle
   * provider failing on every event): once the burst is spent, lines are only counted — no clock
   * read, which costs more than the rest of the call on some VMs — until an unref'd timer reopens
   * the window at its end. The suppressed count stays exact.
   */
  admitNow(): number | undefined {
    if (this.muted) {
      this.suppressed++;
      return undefined;
    }
    const now = this.clock();
    const suppressed = this.admit(now);
    if (suppressed === undefined) {
      this.muted = true;
      const reopen = (): void => {
        this.muted = false;
      };
      setTimeout(reopen, Math.max(1, this.windowStart + this.windowMs - now)).unref();
    }
    return suppressed;
  }
}
