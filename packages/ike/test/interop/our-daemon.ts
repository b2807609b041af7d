/**
 * Our IKE daemon for interop tests: an `IkeDaemon` in the vitest process with a simulated kernel
 * (kernel-sim), the real clock, the native crypto provider, and UDP sockets inside a test namespace
 * (NetnsUdpTransport). Bus events are recorded, and `expect()` returns a promise for the next event
 * of a kind, so a test arms it before triggering what should cause it and never polls.
 */
import { Bus, type BusEvent, type EventOf, SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import type { IkeDaemonConfig } from '../../src/config.js';
import { IkeDaemon } from '../../src/ike-daemon.js';
import { CommandError } from './exec.js';
import type { NetnsPair, Side } from './netns.js';
import { NetnsUdpTransport } from './netns-udp.js';

/** Quick retransmission so a lost or ignored request fails a test in seconds, not minutes. */
export const TEST_RETRANSMIT = { timeout: 1000, base: 1.4, tries: 3 } as const;

export class OurDaemon {
  readonly daemon: IkeDaemon;
  readonly bus: Bus;
  readonly kernel: SimKernel;
  /** Every bus event so far, oldest first. */
  readonly events: BusEvent[] = [];

  private constructor(daemon: IkeDaemon, bus: Bus, kernel: SimKernel) {
    this.daemon = daemon;
    this.bus = bus;
    this.kernel = kernel;
    bus.events.subscribe((e) => this.events.push(e));
  }

  /** Builds and starts the daemon with its sockets in `side`'s namespace. */
  static async start(pair: NetnsPair, side: Side, config: IkeDaemonConfig): Promise<OurDaemon> {
    const clock = new SystemClock();
    const bus = new Bus();
    const kernel = new SimKernel(new PfkeyKernel({ clock }), bus);
    const daemon = new IkeDaemon(
      { retransmit: TEST_RETRANSMIT, ...config },
      bus,
      clock,
      kernel,
      createCryptoProvider(),
      new NetnsUdpTransport(pair, side),
    );
    const ours = new OurDaemon(daemon, bus, kernel);
    await daemon.start();
    return ours;
  }

  /**
   * The next event of `type` that `pred` accepts, from now on. Call it before the action that
   * should cause the event; it rejects after `ms` naming what it waited for.
   */
  expect<T extends BusEvent['type']>(
    type: T,
    pred: (e: EventOf<T>) => boolean = () => true,
    ms = 15_000,
  ): Promise<EventOf<T>> {
    const p = firstValueFrom(this.bus.on(type).pipe(filter(pred), take(1), timeout(ms))).catch(
      (err: unknown) => {
        throw new CommandError(
          'ETIMEDOUT',
          `no ${type} event from our daemon within ${ms} ms: ${String(err)}`,
        );
      },
    );
    // Armed now; a test that never awaits it must not see an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  /** Errors the daemon recorded outside any caller, as text, for failure messages. */
  errorText(): string {
    return this.daemon.errors.map((e) => String(e.error)).join('\n');
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    this.bus.complete();
  }
}
