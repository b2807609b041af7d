/**
 * @packageDocumentation
 * Contracts of mip6sec: addresses, selectors, SP/SA/binding models, the typed event bus, DI tokens,
 * and the KernelBackend, MobilityStrategy, AddressResolver, CryptoProvider, Clock and Transport
 * interfaces every other package implements or consumes.
 *
 * @example
 * ```ts
 * import { Bus, canonicalIp } from '@mip6sec/core';
 * const bus = new Bus();
 * bus.on('mip6.returned-home').subscribe((e) => console.log('home again', e.hoa));
 * bus.emit({ type: 'mip6.returned-home', hoa: canonicalIp('2001:DB8:0:0::100'), ha: '2001:db8::1', oldCoa: '2001:db8:1::5' });
 * ```
 */
export * from './address.js';
export * from './binding.js';
export * from './binding-policies.js';
export * from './clock.js';
export type * from './crypto.js';
export * from './errors.js';
export * from './events.js';
export * from './host.js';
export type * from './kernel.js';
export * from './kernel-image.js';
export * from './multimap.js';
export * from './policy.js';
export * from './sa.js';
export * from './selector.js';
export type * from './strategy.js';
export * from './tokens.js';
export type * from './transport.js';
