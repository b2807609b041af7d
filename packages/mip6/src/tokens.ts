/**
 * Injection tokens of this package, namespaced like core's so two installed copies agree.
 * The lookup tokens may move into @mip6sec/core when IKE implements them.
 */
import type { InjectionToken } from 'tsyringe';
import type { HomeAgent } from './home-agent.js';
import type { HomeAddressAuthorizer, HomeAddressSource, SaIdentityLookup } from './lookups.js';
import type { MobileNode } from './mobile-node.js';

const token = <T>(name: string): InjectionToken<T> => Symbol.for(`@mip6sec/mip6:${name}`);

export const MOBILE_NODE = token<MobileNode>('MobileNode');
export const HOME_AGENT = token<HomeAgent>('HomeAgent');
/** Optional: RFC 5026 bootstrapping for the mobile node (IKE's configuration payload). */
export const HOME_ADDRESS_SOURCE = token<HomeAddressSource>('HomeAddressSource');
/** Optional: the IKE identity behind an SA, for the home agent (default follows `ike.*` events). */
export const SA_IDENTITY_LOOKUP = token<SaIdentityLookup>('SaIdentityLookup');
/** Optional: identity-to-home-address authorization for the home agent (default: PAD from config). */
export const HOME_ADDRESS_AUTHORIZER = token<HomeAddressAuthorizer>('HomeAddressAuthorizer');
