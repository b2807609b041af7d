/**
 * Runs a daemon's handlers one at a time, in arrival order, so a packet or timer never sees state
 * half-way through another handler's awaits (bus holds, kernel calls).
 */
export class WorkQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  /** Queues `fn`; the returned promise settles when it has run (never rejects). */
  run(fn: () => void | Promise<void>): Promise<void> {
    const next = this.tail.then(fn).catch((err: unknown) => this.onError(err));
    this.tail = next;
    return next;
  }

  /** Settles when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
