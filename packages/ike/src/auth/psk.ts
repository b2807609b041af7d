/**
 * Shared Key Message Integrity Code (Auth Method 2, RFC 7296 section 2.15):
 * AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets> ).
 */

import { equalBytes } from '../bytes.js';
import { AUTH_METHOD, KEY_PAD } from '../constants.js';
import { IkeError } from '../errors.js';
import type { AuthContext, Authenticator, AuthenticatorFactory } from './authenticator.js';

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.length === 0) throw new IkeError('EINVAL', 'empty pre-shared key');
  return bytes;
}

/** AUTH data of a PSK over `octets`, with the SA's PRF. */
export function pskAuthData(
  ctx: Pick<AuthContext, 'prf'>,
  secret: Uint8Array,
  octets: Uint8Array,
): Uint8Array {
  return ctx.prf(ctx.prf(secret, KEY_PAD), octets);
}

/**
 * An authenticator factory for one pre-shared secret (text is taken as UTF-8). The padded key,
 * prf(Shared Secret, "Key Pad for IKEv2"), depends only on the secret and the PRF, so it is made
 * once per PRF rather than twice per IKE SA.
 */
export function pskAuthenticator(secret: string | Uint8Array): AuthenticatorFactory {
  const key = secretBytes(secret);
  const padded = new Map<string, Uint8Array>();
  const padKey = (ctx: AuthContext): Uint8Array => {
    let k = padded.get(ctx.prfAlgorithm);
    if (!k) {
      k = ctx.prf(key, KEY_PAD);
      padded.set(ctx.prfAlgorithm, k);
    }
    return k;
  };
  return (ctx): Authenticator => ({
    method: AUTH_METHOD.SHARED_KEY_MESSAGE_INTEGRITY_CODE,
    sign: (octets) => ctx.prf(padKey(ctx), octets),
    verify: (octets, auth) =>
      auth.method === AUTH_METHOD.SHARED_KEY_MESSAGE_INTEGRITY_CODE &&
      equalBytes(ctx.prf(padKey(ctx), octets), auth.data),
  });
}
