/**
 * Bounded retries with exponential backoff on the Clock, per key (a binding's home address). A key
 * that failed `maxAttempts` times in a row is left alone until {@link RetrySchedule.reset} (the next
 * binding event for it).
 */
import type { Clock, TimerHandle } from '@mip6sec/core';

export interface RetryOptions {
  readonly maxAttempts: number;
  /** Delay before the first retry; each further retry doubles it. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

interface Entry {
  attempts: number;
  timer?: TimerHandle;
}

export class RetrySchedule {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: RetryOptions,
    private readonly retry: (key: string) => void,
  ) {}

  /** A new binding event: forget earlier failures and any retry still pending. */
  reset(key: string): void {
    this.entries.get(key)?.timer?.cancel();
    this.entries.delete(key);
  }

  succeeded(key: string): void {
    this.reset(key);
  }

  /** Counts a failed attempt; schedules the next one, or returns 'gave-up' when the bound is reached. */
  failed(key: string): 'scheduled' | 'gave-up' {
    const e = this.entries.get(key) ?? { attempts: 0 };
    this.entries.set(key, e);
    e.timer?.cancel();
    e.timer = undefined;
    e.attempts++;
    if (e.attempts >= this.opts.maxAttempts) return 'gave-up';
    const delay = Math.min(this.opts.backoffMs * 2 ** (e.attempts - 1), this.opts.maxBackoffMs);
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      this.retry(key);
    }, delay);
    return 'scheduled';
  }

  /** True while a retry is scheduled or the key has given up: periodic passes leave it alone. */
  busy(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && (e.timer !== undefined || e.attempts >= this.opts.maxAttempts);
  }

  attempts(key: string): number {
    return this.entries.get(key)?.attempts ?? 0;
  }

  cancelAll(): void {
    for (const e of this.entries.values()) e.timer?.cancel();
    this.entries.clear();
  }
}
