interface Waiting {
  expires: number;
  reject(error: Error): void;
}

/**
 * One deadline for many calls, with a single timer.
 *
 * A timer and a Promise.race per call cost about as much as the rest of a simple call's own
 * JavaScript (a Timeout object, timer-list insertion and removal, three extra promises). Every
 * call here gets the same time limit, so deadlines expire in the order calls started: the
 * waiting calls sit in a Set (insertion order, O(1) removal when they finish), and one timer,
 * armed for the oldest, expires whatever is overdue and re-arms itself for the next.
 */
export class SharedDeadline {
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly limitMs: number,
    /** What an overdue call fails with. */
    private readonly overdue: () => Error,
    /** Asked when calls are overdue: true spares them for now (the work they wait for is progressing). */
    private readonly reprieve?: () => boolean,
  ) {}

  /** Settles as `answer` does, or fails with `overdue()` once `limitMs` have passed since `started` (performance.now()). */
  bound<T>(answer: Promise<T>, started: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { expires: started + this.limitMs, reject };
      this.waiting.add(entry);
      if (this.timer === undefined) this.arm(this.limitMs);
      answer.then(
        (value) => {
          if (this.waiting.delete(entry)) resolve(value);
        },
        (error: unknown) => {
          if (this.waiting.delete(entry)) reject(error);
        },
      );
    });
  }

  /** Calls waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.expire, ms);
    // After the last call the timer may stay armed for up to limitMs; that must not keep the process up.
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    let spared: boolean | undefined;
    for (const entry of this.waiting) {
      if (entry.expires > now) return this.arm(entry.expires - now);
      if ((spared ??= this.reprieve?.() ?? false)) return this.arm(this.limitMs / 4);
      this.waiting.delete(entry);
      entry.reject(this.overdue());
    }
  };
}
