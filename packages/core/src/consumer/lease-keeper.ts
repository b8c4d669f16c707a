/** What a {@link LeaseKeeper} drives. */
export interface LeaseKeeperParams<C> {
  readonly intervalMs: number;
  readonly leaseMs: number;
  /** Every claim whose lease must stay extended now. */
  held(): C[];
  /** Extends `claims` by `leaseMs`; resolves to those whose lease was lost. */
  extend(claims: readonly C[], leaseMs: number): Promise<readonly C[]>;
  /** Some leases were lost (another consumer may own the messages now). */
  onLost(lost: readonly C[]): void;
  /**
   * The heartbeat failed. `lapsed` is true once no heartbeat succeeded for a whole lease: past
   * that, every held lease must be treated as lost.
   */
  onFailure(error: unknown, lapsed: boolean): void;
}

/**
 * The heartbeat: every `intervalMs`, one `extend` call for every lease held (never two at once).
 * Its timer is unref'd; `stop()` clears it.
 */
export class LeaseKeeper<C> {
  private busy = false;
  private lastOk = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly p: LeaseKeeperParams<C>) {
    this.timer = setInterval(() => this.beat(), p.intervalMs);
    this.timer.unref();
  }

  /** Stops the heartbeat. */
  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    if (this.busy) return;
    const held = this.p.held();
    if (held.length === 0) {
      this.lastOk = Date.now();
      return;
    }
    this.busy = true;
    this.p.extend(held, this.p.leaseMs).then(
      (lost) => {
        this.busy = false;
        this.lastOk = Date.now();
        if (lost.length > 0) this.p.onLost(lost);
      },
      (error: unknown) => {
        this.busy = false;
        this.p.onFailure(error, Date.now() - this.lastOk >= this.p.leaseMs);
      },
    );
  }
}
