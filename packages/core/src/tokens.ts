/**
 * Injection tokens. `Symbol.for` with a namespaced key, so two installed copies of core still agree.
 */
import type { InjectionToken } from 'tsyringe';
import type { Clock } from './clock.js';
import type { CryptoProvider } from './crypto.js';
import type { Bus } from './events.js';
import type { HostInfo } from './host.js';
import type { KernelBackend } from './kernel.js';
import type { AddressResolver, KeyManager, MobilityStrategy } from './strategy.js';
import type { IpLayer, Transport } from './transport.js';

const token = <T>(name: string): InjectionToken<T> => Symbol.for(`@mip6sec/core:${name}`);

export const BUS = token<Bus>('Bus');
export const CLOCK = token<Clock>('Clock');
export const HOST_INFO = token<HostInfo>('HostInfo');
export const KERNEL_BACKEND = token<KernelBackend>('KernelBackend');
export const MOBILITY_STRATEGY = token<MobilityStrategy>('MobilityStrategy');
export const ADDRESS_RESOLVER = token<AddressResolver>('AddressResolver');
export const CRYPTO_PROVIDER = token<CryptoProvider>('CryptoProvider');
export const TRANSPORT = token<Transport>('Transport');
export const IP_LAYER = token<IpLayer>('IpLayer');
export const KEY_MANAGER = token<KeyManager>('KeyManager');
