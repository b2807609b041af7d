/**
 * Two (or more) hosts for daemon tests: each a core Host with its own bus, a kernel-sim kernel,
 * a crypto provider, a loopback transport and an IKE daemon, all on one virtual clock.
 */
import {
  ADDRESS_RESOLVER,
  type AddressResolver,
  type BusEvent,
  Host,
  type Ip,
  type Plugin,
  TRANSPORT,
  VirtualClock,
} from '@mip6sec/core';
import { cryptoProvider } from '@mip6sec/crypto';
import { type PfkeyKernel, SIM_KERNEL, type SimKernel, simKernel } from '@mip6sec/kernel-sim';
import { container } from 'tsyringe';
import type { IkeDaemonConfig } from '../config.js';
import type { IkeDaemon } from '../ike-daemon.js';
import { ikeDaemon } from '../plugin.js';
import { IKE_DAEMON } from '../tokens.js';
import { LoopbackNetwork } from './loopback.js';

export interface TestHost {
  readonly name: string;
  readonly host: Host;
  readonly ike: IkeDaemon;
  readonly kernel: SimKernel;
  readonly pfkey: PfkeyKernel;
  readonly events: BusEvent[];
  of<T extends BusEvent['type']>(type: T): Extract<BusEvent, { type: T }>[];
}

export interface HostSpec {
  readonly name: string;
  readonly addresses: readonly Ip[];
  readonly config: IkeDaemonConfig;
  readonly resolver?: AddressResolver;
  /** More plugins for the host (a Mobile IPv6 daemon, an IP layer, ...), after the IKE daemon. */
  readonly plugins?: readonly Plugin[];
}

export class Lab {
  readonly clock = new VirtualClock(1_000_000);
  readonly net = new LoopbackNetwork(this.clock);
  readonly hosts = new Map<string, TestHost>();

  async add(spec: HostSpec): Promise<TestHost> {
    const transport: Plugin = {
      name: 'loopback',
      provides: [TRANSPORT],
      requires: [],
      register: (c) => c.register(TRANSPORT, { useValue: this.net.transport(spec.name, spec.addresses) }),
    };
    const resolver: Plugin[] = spec.resolver
      ? [
          {
            name: 'resolver',
            provides: [ADDRESS_RESOLVER],
            requires: [],
            register: (c) => c.register(ADDRESS_RESOLVER, { useValue: spec.resolver }),
          },
        ]
      : [];
    const host = new Host(container, {
      name: spec.name,
      role: 'cn',
      clock: this.clock,
      plugins: [
        cryptoProvider(),
        simKernel({ spiSeed: this.hosts.size + 1 }),
        transport,
        ...resolver,
        ikeDaemon(spec.config),
        ...(spec.plugins ?? []),
      ],
    });
    const events: BusEvent[] = [];
    host.bus.events.subscribe((e) => events.push(e));
    const ike = host.resolve(IKE_DAEMON);
    host.addStartable(ike);
    await host.start();
    const h: TestHost = {
      name: spec.name,
      host,
      ike,
      kernel: host.resolve(Symbol.for('@mip6sec/core:KernelBackend')) as SimKernel,
      pfkey: host.resolve(SIM_KERNEL),
      events,
      of: <T extends BusEvent['type']>(type: T) =>
        events.filter((e): e is Extract<BusEvent, { type: T }> => e.type === type),
    };
    this.hosts.set(spec.name, h);
    return h;
  }

  /** Lets promise chains finish (the kernel and the daemon answer without timers). */
  async flush(): Promise<void> {
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
  }

  /** Runs timers one by one until `done()` holds; throws when `maxMs` of virtual time pass first. */
  async until(done: () => boolean, maxMs = 600_000): Promise<void> {
    const end = this.clock.now() + maxMs;
    for (;;) {
      await this.flush();
      if (done()) return;
      const next = this.clock.nextAt();
      if (next === undefined || next > end)
        throw new Error(`condition not met within ${maxMs} ms of virtual time`);
      this.clock.step();
    }
  }

  /** Awaits a promise while driving the clock; rejects when it does not settle within `maxMs`. */
  async run<T>(p: Promise<T>, maxMs = 600_000): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    p.then(
      (v) => {
        settled = true;
        value = v;
      },
      (e) => {
        settled = true;
        failed = true;
        error = e;
      },
    );
    await this.until(() => settled, maxMs);
    if (failed) throw error;
    return value as T;
  }

  /** Moves virtual time forward by `ms`, running everything due. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.flush();
      const next = this.clock.nextAt();
      if (next === undefined || next > end) break;
      this.clock.step();
    }
    this.clock.advance(Math.max(0, end - this.clock.now()));
    await this.flush();
  }

  async stop(): Promise<void> {
    for (const h of this.hosts.values()) await h.host.stop();
  }
}
