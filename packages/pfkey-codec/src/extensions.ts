/**
 * @module
 * Which codec handles which extension type, and the minimum length Linux enforces for each type before any
 * handler looks at it (af_key.c `sadb_ext_min_len`, kernel-interfaces.md §1.3).
 */

import { addressCodec } from './address-ext.js';
import * as K from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { identityCodec } from './identity-ext.js';
import { keyCodec } from './key-ext.js';
import { kmprivateCodec } from './kmprivate-ext.js';
import { LAYOUT } from './layout.js';
import { lifetimeCodec } from './lifetime-ext.js';
import { natTPortCodec, natTTypeCodec } from './nat-t-ext.js';
import { proposalCodec } from './proposal-ext.js';
import { saCodec } from './sa-ext.js';
import { secCtxCodec } from './sec-ctx-ext.js';
import { sensitivityCodec } from './sensitivity-ext.js';
import { spirangeCodec } from './spirange-ext.js';
import { supportedCodec } from './supported-ext.js';
import { filterCodec } from './x-filter.js';
import { kmaddressCodec } from './x-kmaddress.js';
import { policyCodec } from './x-policy.js';
import { refCodec } from './x-ref.js';
import { saReplayCodec } from './x-sa-replay.js';
import { sa2Codec } from './x-sa2.js';

/** Codec per known wire type (index = sadb_ext_type); holes are unknown types. */
export const EXT_CODECS: ReadonlyArray<ExtCodec | undefined> = (() => {
  const t: (ExtCodec | undefined)[] = new Array(K.SADB_EXT_MAX + 1).fill(undefined);
  const set = (type: number, codec: ExtCodec): void => {
    t[type] = codec;
  };
  set(K.SADB_EXT_SA, saCodec);
  for (const ty of [K.SADB_EXT_LIFETIME_CURRENT, K.SADB_EXT_LIFETIME_HARD, K.SADB_EXT_LIFETIME_SOFT])
    set(ty, lifetimeCodec);
  for (const ty of [
    K.SADB_EXT_ADDRESS_SRC,
    K.SADB_EXT_ADDRESS_DST,
    K.SADB_EXT_ADDRESS_PROXY,
    K.SADB_X_EXT_NAT_T_OA,
  ]) {
    set(ty, addressCodec);
  }
  set(K.SADB_EXT_KEY_AUTH, keyCodec);
  set(K.SADB_EXT_KEY_ENCRYPT, keyCodec);
  set(K.SADB_EXT_IDENTITY_SRC, identityCodec);
  set(K.SADB_EXT_IDENTITY_DST, identityCodec);
  set(K.SADB_EXT_SENSITIVITY, sensitivityCodec);
  set(K.SADB_EXT_PROPOSAL, proposalCodec);
  set(K.SADB_EXT_SUPPORTED_AUTH, supportedCodec);
  set(K.SADB_EXT_SUPPORTED_ENCRYPT, supportedCodec);
  set(K.SADB_EXT_SPIRANGE, spirangeCodec);
  set(K.SADB_X_EXT_KMPRIVATE, kmprivateCodec);
  set(K.SADB_X_EXT_POLICY, policyCodec);
  set(K.SADB_X_EXT_SA2, sa2Codec);
  set(K.SADB_X_EXT_NAT_T_TYPE, natTTypeCodec);
  set(K.SADB_X_EXT_NAT_T_SPORT, natTPortCodec);
  set(K.SADB_X_EXT_NAT_T_DPORT, natTPortCodec);
  set(K.SADB_X_EXT_SEC_CTX, secCtxCodec);
  set(K.SADB_X_EXT_KMADDRESS, kmaddressCodec);
  set(K.SADB_X_EXT_FILTER, filterCodec);
  set(K.SADB_X_EXT_REF, refCodec);
  set(K.SADB_X_EXT_SA_REPLAY, saReplayCodec);
  return t;
})();

/** Linux's minimum extension length in bytes per type 1..26 (the size of the type's struct). */
export const LINUX_MIN_LEN: ReadonlyArray<number> = (() => {
  const m: number[] = new Array(K.SADB_EXT_MAX_LINUX + 1).fill(0);
  m[K.SADB_EXT_SA] = LAYOUT.sadb_sa.size;
  m[K.SADB_EXT_LIFETIME_CURRENT] = LAYOUT.sadb_lifetime.size;
  m[K.SADB_EXT_LIFETIME_HARD] = LAYOUT.sadb_lifetime.size;
  m[K.SADB_EXT_LIFETIME_SOFT] = LAYOUT.sadb_lifetime.size;
  m[K.SADB_EXT_ADDRESS_SRC] = LAYOUT.sadb_address.size;
  m[K.SADB_EXT_ADDRESS_DST] = LAYOUT.sadb_address.size;
  m[K.SADB_EXT_ADDRESS_PROXY] = LAYOUT.sadb_address.size;
  m[K.SADB_EXT_KEY_AUTH] = LAYOUT.sadb_key.size;
  m[K.SADB_EXT_KEY_ENCRYPT] = LAYOUT.sadb_key.size;
  m[K.SADB_EXT_IDENTITY_SRC] = LAYOUT.sadb_ident.size;
  m[K.SADB_EXT_IDENTITY_DST] = LAYOUT.sadb_ident.size;
  m[K.SADB_EXT_SENSITIVITY] = LAYOUT.sadb_sens.size;
  m[K.SADB_EXT_PROPOSAL] = LAYOUT.sadb_prop.size;
  m[K.SADB_EXT_SUPPORTED_AUTH] = LAYOUT.sadb_supported.size;
  m[K.SADB_EXT_SUPPORTED_ENCRYPT] = LAYOUT.sadb_supported.size;
  m[K.SADB_EXT_SPIRANGE] = LAYOUT.sadb_spirange.size;
  m[K.SADB_X_EXT_KMPRIVATE] = LAYOUT.sadb_x_kmprivate.size;
  m[K.SADB_X_EXT_POLICY] = LAYOUT.sadb_x_policy.size;
  m[K.SADB_X_EXT_SA2] = LAYOUT.sadb_x_sa2.size;
  m[K.SADB_X_EXT_NAT_T_TYPE] = LAYOUT.sadb_x_nat_t_type.size;
  m[K.SADB_X_EXT_NAT_T_SPORT] = LAYOUT.sadb_x_nat_t_port.size;
  m[K.SADB_X_EXT_NAT_T_DPORT] = LAYOUT.sadb_x_nat_t_port.size;
  m[K.SADB_X_EXT_NAT_T_OA] = LAYOUT.sadb_address.size;
  m[K.SADB_X_EXT_SEC_CTX] = LAYOUT.sadb_x_sec_ctx.size;
  m[K.SADB_X_EXT_KMADDRESS] = LAYOUT.sadb_x_kmaddress.size;
  m[K.SADB_X_EXT_FILTER] = LAYOUT.sadb_x_filter.size;
  return m;
})();
