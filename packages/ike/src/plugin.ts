/**
 * The plugin factory a composition root puts in a host's plugin list. It provides core's
 * KEY_MANAGER and this package's IKE_DAEMON (one daemon per host container) and requires the bus,
 * clock, kernel backend, crypto provider and transport; an ADDRESS_RESOLVER is used when the host
 * has one. The host starts the daemon: `host.addStartable(host.resolve(IKE_DAEMON))`.
 */
import {
  BUS,
  CLOCK,
  CRYPTO_PROVIDER,
  KERNEL_BACKEND,
  KEY_MANAGER,
  type Plugin,
  TRANSPORT,
} from '@mip6sec/core';
import { instanceCachingFactory } from 'tsyringe';
import { type IkeDaemonConfig, resolveConfig } from './config.js';
import { IkeDaemon } from './ike-daemon.js';
import { IKE_CONFIG, IKE_DAEMON } from './tokens.js';

export function ikeDaemon(config: IkeDaemonConfig): Plugin {
  // Parsed now, so a bad configuration fails while the plugin list is built.
  resolveConfig(config);
  return {
    name: '@mip6sec/ike',
    provides: [KEY_MANAGER, IKE_DAEMON],
    requires: [BUS, CLOCK, KERNEL_BACKEND, CRYPTO_PROVIDER, TRANSPORT],
    register(container) {
      container.register(IKE_CONFIG, { useValue: config });
      container.register(IKE_DAEMON, { useFactory: instanceCachingFactory((c) => c.resolve(IkeDaemon)) });
      container.register(KEY_MANAGER, { useFactory: (c) => c.resolve(IKE_DAEMON) });
    },
  };
}
