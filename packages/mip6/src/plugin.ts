/**
 * Plugin factories: `mobileNode(config)` and `homeAgent(config)` register the daemon under its
 * token in a host's container. Nothing registers at import time. The composition root resolves
 * the token and starts the daemon with the host (`host.addStartable(host.resolve(MOBILE_NODE))`).
 * Optional lookups are taken from the container when a plugin (IKE, the lab) provides them.
 */
import { BUS, CLOCK, IP_LAYER, KERNEL_BACKEND, type Plugin } from '@mip6sec/core';
import { type DependencyContainer, type InjectionToken, instanceCachingFactory } from 'tsyringe';
import { HomeAgent, type HomeAgentConfig } from './home-agent.js';
import { MobileNode, type MobileNodeConfig } from './mobile-node.js';
import {
  HOME_ADDRESS_AUTHORIZER,
  HOME_ADDRESS_SOURCE,
  HOME_AGENT,
  MOBILE_NODE,
  SA_IDENTITY_LOOKUP,
} from './tokens.js';

function optional<T>(c: DependencyContainer, t: InjectionToken<T>): T | undefined {
  return c.isRegistered(t, true) ? c.resolve(t) : undefined;
}

export function mobileNode(config: MobileNodeConfig): Plugin {
  return {
    name: '@mip6sec/mip6:mobile-node',
    provides: [MOBILE_NODE],
    requires: [BUS, CLOCK, IP_LAYER, KERNEL_BACKEND],
    register(container) {
      container.register(MOBILE_NODE, {
        useFactory: instanceCachingFactory(
          (c) =>
            new MobileNode(
              c.resolve(BUS),
              c.resolve(CLOCK),
              c.resolve(IP_LAYER),
              c.resolve(KERNEL_BACKEND),
              config,
              optional(c, HOME_ADDRESS_SOURCE),
            ),
        ),
      });
    },
  };
}

export function homeAgent(config: HomeAgentConfig): Plugin {
  return {
    name: '@mip6sec/mip6:home-agent',
    provides: [HOME_AGENT],
    requires: [BUS, CLOCK, IP_LAYER, KERNEL_BACKEND],
    register(container) {
      container.register(HOME_AGENT, {
        useFactory: instanceCachingFactory(
          (c) =>
            new HomeAgent(
              c.resolve(BUS),
              c.resolve(CLOCK),
              c.resolve(IP_LAYER),
              c.resolve(KERNEL_BACKEND),
              config,
              optional(c, SA_IDENTITY_LOOKUP),
              optional(c, HOME_ADDRESS_AUTHORIZER),
            ),
        ),
      });
    },
  };
}
