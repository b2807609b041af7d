/**
 * Our algorithm names (strongSwan proposal keywords, as `listSas()` prints a negotiated suite) in
 * the form `swanctl --list-sas` prints them, so both sides' listings can be compared field by field.
 */
import { AUTH_ALG, DH_GROUP, ENCR, ESN, PRF, TRANSFORM_TYPE } from '../../src/constants.js';
import { parseProposal } from '../../src/crypto/proposals.js';

/** IKEv2 transform IDs to the names strongSwan's vici gives them (libstrongswan's enum names). */
const CHARON_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [TRANSFORM_TYPE.ENCR]: {
    [ENCR.ENCR_AES_CBC]: 'AES_CBC',
    [ENCR.ENCR_AES_GCM_16]: 'AES_GCM_16',
    [ENCR.ENCR_CHACHA20_POLY1305]: 'CHACHA20_POLY1305',
  },
  [TRANSFORM_TYPE.INTEG]: {
    [AUTH_ALG.AUTH_HMAC_SHA1_96]: 'HMAC_SHA1_96',
    [AUTH_ALG.AUTH_AES_XCBC_96]: 'AES_XCBC_96',
    [AUTH_ALG.AUTH_HMAC_SHA2_256_128]: 'HMAC_SHA2_256_128',
    [AUTH_ALG.AUTH_HMAC_SHA2_384_192]: 'HMAC_SHA2_384_192',
    [AUTH_ALG.AUTH_HMAC_SHA2_512_256]: 'HMAC_SHA2_512_256',
  },
  [TRANSFORM_TYPE.PRF]: {
    [PRF.PRF_HMAC_SHA1]: 'PRF_HMAC_SHA1',
    [PRF.PRF_AES128_XCBC]: 'PRF_AES128_XCBC',
    [PRF.PRF_HMAC_SHA2_256]: 'PRF_HMAC_SHA2_256',
    [PRF.PRF_HMAC_SHA2_384]: 'PRF_HMAC_SHA2_384',
    [PRF.PRF_HMAC_SHA2_512]: 'PRF_HMAC_SHA2_512',
  },
  [TRANSFORM_TYPE.DH]: {
    [DH_GROUP.MODP_2048]: 'MODP_2048',
    [DH_GROUP.ECP_256]: 'ECP_256',
    [DH_GROUP.ECP_384]: 'ECP_384',
    [DH_GROUP.CURVE25519]: 'CURVE_25519',
  },
};

/** The algorithm fields of swanctl's IKE_SA or CHILD_SA listing (see swanctl-output.ts). */
export interface CharonAlgorithms {
  readonly encrAlg: string;
  /** Key bits of a cipher with a Key Length attribute (AES); none for ChaCha20-Poly1305. */
  readonly encrKeysize?: number;
  readonly integAlg?: string;
  readonly prfAlg?: string;
  readonly dhGroup?: string;
  /** ESP only. */
  readonly esn?: boolean;
}

function charonName(type: number, id: number, text: string): string {
  const name = CHARON_NAMES[type]?.[id];
  if (!name) throw new RangeError(`no strongSwan name known for transform ${type}/${id} of "${text}"`);
  return name;
}

/** What swanctl shows for a suite we list as `text` (e.g. `aes128-sha256-prfsha256-modp2048`). */
export function charonAlgorithms(text: string, protocol: 'ike' | 'esp'): CharonAlgorithms {
  const spec = parseProposal(text, protocol);
  const one = (type: number) => spec.transforms.find((t) => t.type === type);
  const encr = one(TRANSFORM_TYPE.ENCR);
  if (!encr) throw new RangeError(`"${text}" has no encryption transform`);
  const bits = encr.attributes?.find((a) => 'value' in a)?.value;
  const integ = one(TRANSFORM_TYPE.INTEG);
  const prf = one(TRANSFORM_TYPE.PRF);
  const dh = one(TRANSFORM_TYPE.DH);
  const esn = one(TRANSFORM_TYPE.ESN);
  return {
    encrAlg: charonName(TRANSFORM_TYPE.ENCR, encr.id, text),
    ...(bits !== undefined ? { encrKeysize: bits } : {}),
    ...(integ && integ.id !== AUTH_ALG.NONE
      ? { integAlg: charonName(TRANSFORM_TYPE.INTEG, integ.id, text) }
      : {}),
    ...(prf ? { prfAlg: charonName(TRANSFORM_TYPE.PRF, prf.id, text) } : {}),
    ...(dh && dh.id !== DH_GROUP.NONE ? { dhGroup: charonName(TRANSFORM_TYPE.DH, dh.id, text) } : {}),
    ...(protocol === 'esp' ? { esn: esn?.id === ESN.ESN } : {}),
  };
}
