/**
 * @packageDocumentation
 * PF_KEY v2 wire format (RFC 2367 with the Linux/KAME extensions, SADB_X_MIGRATE and the MSRD SADB_X_EXT_REF extension) on Uint8Array/DataView
 */
export {};
