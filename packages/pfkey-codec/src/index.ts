/**
 * @packageDocumentation
 * PF_KEY v2 wire format (RFC 2367 with the Linux/KAME extensions, SADB_X_MIGRATE and the MSRD SADB_X_EXT_REF
 * extension) on Uint8Array/DataView. No dependencies.
 *
 * @example
 * ```ts
 * import { decode, encode, toJson } from '@mip6sec/pfkey-codec';
 * const msg = decode(bytes);              // throws PfkeyError ("EINVAL at byte 52: ...") on bad input
 * console.log(JSON.stringify(toJson(msg), null, 2));
 * const again = encode(msg);              // byte-identical to bytes
 * ```
 */
export { prefix, sockaddr } from './address-text.js';
export * from './constants.js';
export { type DecodeOptions, decode, decodeAll, splitMessages } from './decode.js';
export { type EncodeOptions, encode } from './encode.js';
export { ERRNO, type ErrnoName, errnoName, errnoValue } from './errno.js';
export { PfkeyInputError } from './input-error.js';
export { formatIp, fromHex, parseIp, toHex } from './ip-address.js';
export { fromJson, type JsonValue, type PfkeyExtensionJson, type PfkeyJson, toJson } from './json.js';
export { type FieldLayout, LAYOUT, type StructLayout, type StructName } from './layout.js';
export {
  type AcquireSpec,
  type AddSpec,
  buildAcquire,
  buildAdd,
  buildSpdAdd,
  errorReply,
  type LifetimeSpec,
  type RefSpec,
  type SpdAddSpec,
  type TemplateSpec,
} from './message-builders.js';
export {
  buildMigrate,
  type EndpointPair,
  type MigrateBundle,
  type MigrateBundleView,
  type MigrateSpec,
  type MigrateView,
  type PrefixSpec,
  protoToSatype,
  readMigrate,
  type SelectorSpec,
  type SockaddrSpec,
} from './migrate-message.js';
export * from './model.js';
export {
  AUTH_ALGS,
  COMP_ALGS,
  ENCRYPT_ALGS,
  EXT_TYPES,
  extTypeName,
  IDENT_TYPES,
  IP_PROTOCOLS,
  IPSEC_DIRS,
  IPSEC_LEVELS,
  IPSEC_MODES,
  IPSEC_POLICIES,
  MSG_TYPES,
  msgTypeName,
  type NameTable,
  SA_STATES,
  SATYPES,
} from './names.js';
export { PfkeyError } from './pfkey-error.js';
export type { Origin } from './validate.js';
export { SADB_X_REF_VERSION } from './x-ref.js';
