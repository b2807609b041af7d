/**
 * AES-XCBC-MAC (RFC 3566) over two AES-128 primitives each provider supplies: ECB for the three
 * derived keys and a zero-IV CBC chain for the MAC itself. RFC 4434 key handling for the PRF use.
 */
import { checkBytes } from './bytes.js';

/** AES-128-ECB encryption of whole blocks, no padding. */
export type AesEcbEncrypt = (key: Uint8Array, blocks: Uint8Array) => Uint8Array;
/** AES-128-CBC encryption of whole blocks from a zero IV, no padding. */
export type AesCbcChain = (key: Uint8Array, blocks: Uint8Array) => Uint8Array;

const BLOCK = 16;

/** The constants 0x01.., 0x02.., 0x03.. from which K1, K2 and K3 are made (RFC 3566 section 4). */
const SUBKEY_SEEDS = (() => {
  const seeds = new Uint8Array(3 * BLOCK);
  seeds
    .fill(0x01, 0, BLOCK)
    .fill(0x02, BLOCK, 2 * BLOCK)
    .fill(0x03, 2 * BLOCK);
  return seeds;
})();

function mac(ecb: AesEcbEncrypt, cbc: AesCbcChain, key: Uint8Array, data: Uint8Array): Uint8Array {
  const subkeys = ecb(key, SUBKEY_SEEDS);
  const k1 = subkeys.subarray(0, BLOCK);
  // The last block is XORed with K2 when it is complete, or padded with 10* and XORed with K3
  // (also for the empty message). Running CBC over the adjusted copy from a zero IV then yields
  // E[n] as the last ciphertext block: exactly the chain RFC 3566 section 4 steps (3) and (4) run.
  const complete = data.length > 0 && data.length % BLOCK === 0;
  const padded = new Uint8Array(complete ? data.length : data.length - (data.length % BLOCK) + BLOCK);
  padded.set(data);
  if (!complete) padded[data.length] = 0x80;
  const last = padded.length - BLOCK;
  const k = subkeys.subarray(complete ? BLOCK : 2 * BLOCK, complete ? 2 * BLOCK : 3 * BLOCK);
  for (let i = 0; i < BLOCK; i++) padded[last + i]! ^= k[i]!;
  return cbc(k1, padded).slice(last);
}

/**
 * The full 128-bit AES-XCBC-MAC of `data`. Without `prf` the key must be 16 bytes (RFC 3566).
 * With `prf` any key length is taken as RFC 4434 section 2 says: a shorter key is padded with
 * zeros on the right, a longer one is replaced by its own XCBC MAC under the all-zero key.
 */
export function aesXcbcMac(
  ecb: AesEcbEncrypt,
  cbc: AesCbcChain,
  key: Uint8Array,
  data: Uint8Array,
  prf = false,
): Uint8Array {
  checkBytes('AES-XCBC data', data);
  if (!prf) return mac(ecb, cbc, checkBytes('AES-XCBC key', key, [BLOCK]), data);
  checkBytes('AES-XCBC-PRF-128 key', key);
  let k = key;
  if (key.length < BLOCK) {
    k = new Uint8Array(BLOCK);
    k.set(key);
  } else if (key.length > BLOCK) {
    k = mac(ecb, cbc, new Uint8Array(BLOCK), key);
  }
  return mac(ecb, cbc, k, data);
}
