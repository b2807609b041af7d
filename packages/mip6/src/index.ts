/**
 * @packageDocumentation
 * Mobile IPv6 (RFC 6275) for mip6sec: the Mobility Header codec with every RFC 6275 message and
 * option, the Home Address option and type 2 routing header in a small IPv6 packet codec, JSON
 * forms for the CLI, and the mobile node and home agent whose signalling IPsec protects
 * (RFC 3776/4877), talking to IKE and strategies only through @mip6sec/core's bus and contracts.
 *
 * @example
 * ```ts
 * import { decodeMh, hexToBytes, mhToJson } from '@mip6sec/mip6';
 * const bu = decodeMh(hexToBytes('3b03050000000007d0000e100100031020010db8000100000000000000000005'));
 * console.log(mhToJson(bu)); // { type: 'BU', seq: 7, a: true, h: true, l: false, k: true, lifetime: 3600, … }
 * ```
 */
export * from './binding-cache.js';
export * from './binding-update-list.js';
export * from './checksum.js';
export * from './home-agent.js';
export * from './ipv6-ext.js';
export * from './json.js';
export * from './lookups.js';
export * from './mh-codec.js';
export * from './mh-constants.js';
export * from './mh-error.js';
export * from './mh-options.js';
export * from './mobile-node.js';
export * from './plugin.js';
export * from './policies.js';
export * from './sequence.js';
export * from './tokens.js';
