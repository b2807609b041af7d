/**
 * Plugins and hosts. Every implementation package exports a plugin factory; nothing registers at
 * import time. A host is a child container holding its own bus, kernel and daemons; the
 * composition root checks that every requirement is met and that no single-provider token has two
 * providers, so the kernel backend and the strategy are chosen by configuration, never by load order.
 */
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Clock } from './clock.js';
import { WiringError } from './errors.js';
import { Bus } from './events.js';
import type { HostRole } from './strategy.js';
import { BUS, CLOCK, HOST_INFO } from './tokens.js';

export interface HostInfo {
  readonly name: string;
  readonly role: HostRole;
}

export interface Plugin {
  readonly name: string;
  readonly provides: readonly InjectionToken<unknown>[];
  readonly requires: readonly InjectionToken<unknown>[];
  register(container: DependencyContainer): void;
}

/** Something a host starts after wiring and stops on shutdown (daemons, strategies). */
export interface Startable {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface HostOptions {
  readonly name: string;
  readonly role: HostRole;
  readonly clock: Clock;
  readonly plugins: readonly Plugin[];
}

const tokenName = (t: InjectionToken<unknown>): string =>
  typeof t === 'symbol'
    ? (t.description ?? String(t))
    : typeof t === 'string'
      ? t
      : ((t as { name?: string }).name ?? '?');

/** Checks the provide/require table of a plugin list; throws WiringError naming what is wrong. */
export function checkPlugins(plugins: readonly Plugin[], preset: readonly InjectionToken<unknown>[]): void {
  const providers = new Map<InjectionToken<unknown>, string>();
  for (const t of preset) providers.set(t, 'host');
  for (const p of plugins) {
    for (const t of p.provides) {
      const other = providers.get(t);
      if (other)
        throw new WiringError('EEXIST', `${tokenName(t)} is provided by both ${other} and ${p.name}`);
      providers.set(t, p.name);
    }
  }
  for (const p of plugins) {
    for (const t of p.requires) {
      if (!providers.has(t))
        throw new WiringError('ENOENT', `${p.name} requires ${tokenName(t)}, which no plugin provides`);
    }
  }
}

/** A wired host: its container, bus and the startables its plugins registered. */
export class Host {
  readonly name: string;
  readonly role: HostRole;
  readonly container: DependencyContainer;
  readonly bus: Bus;
  private readonly startables: Startable[] = [];
  private started = false;

  constructor(parent: DependencyContainer, options: HostOptions) {
    checkPlugins(options.plugins, [BUS, CLOCK, HOST_INFO]);
    this.name = options.name;
    this.role = options.role;
    this.container = parent.createChildContainer();
    this.bus = new Bus();
    this.container.register(BUS, { useValue: this.bus });
    this.container.register(CLOCK, { useValue: options.clock });
    this.container.register(HOST_INFO, { useValue: { name: options.name, role: options.role } });
    for (const p of options.plugins) p.register(this.container);
  }

  resolve<T>(token: InjectionToken<T>): T {
    return this.container.resolve(token);
  }

  has(token: InjectionToken<unknown>): boolean {
    return this.container.isRegistered(token, true);
  }

  /** Adds something to start with the host, in order. */
  addStartable(s: Startable): void {
    this.startables.push(s);
    if (this.started) void s.start();
  }

  async start(): Promise<void> {
    this.started = true;
    for (const s of this.startables) await s.start();
  }

  async stop(): Promise<void> {
    for (const s of [...this.startables].reverse()) await s.stop();
    this.started = false;
    this.bus.complete();
  }
}
