import { createCryptoProvider, prf } from '@mip6sec/crypto';
import { describe, expect, it } from 'vitest';
import { AOSP } from '../__fixtures__/vectors.js';
import { fromHex, toHex } from '../bytes.js';
import { AUTH_METHOD, KEY_PAD } from '../constants.js';
import { pskAuthenticator } from './psk.js';
import { signedOctets } from './signed-octets.js';

describe('PSK AUTH (RFC 7296 section 2.15)', () => {
  const c = createCryptoProvider();
  const ctx = {
    crypto: c,
    prfAlgorithm: 'hmac-sha1' as const,
    prf: (k: Uint8Array, d: Uint8Array) => prf(c, 'hmac-sha1', k, d),
    localId: '10.80.80.13',
    remoteId: '10.80.80.80',
  };

  it('reproduces the AOSP initiator AUTH (IkeAuthPskPayloadTest)', async () => {
    const id = { idType: 1, data: fromHex('0a50500d') };
    const octets = signedOctets(
      ctx.prf,
      fromHex(AOSP.ikeInitRequest),
      fromHex(AOSP.nr),
      fromHex(AOSP.skPi),
      id,
    );
    expect(toHex(octets.subarray(octets.length - 20))).toBe(AOSP.macedIdForI.toLowerCase());
    const auth = pskAuthenticator(fromHex(AOSP.psk))(ctx);
    expect(auth.method).toBe(AUTH_METHOD.SHARED_KEY_MESSAGE_INTEGRITY_CODE);
    expect(toHex(await auth.sign(octets))).toBe(AOSP.authData);
    const payload = { kind: 'AUTH' as const, method: 2, data: fromHex(AOSP.authData) };
    const idPayload = { kind: 'IDi' as const, ...id };
    expect(await auth.verify(octets, payload, idPayload, [])).toBe(true);
    const tampered = octets.slice();
    tampered[0] = tampered[0]! ^ 1;
    expect(await auth.verify(tampered, payload, idPayload, [])).toBe(false);
    expect(await auth.verify(octets, { ...payload, method: 1 }, idPayload, [])).toBe(false);
    expect(await pskAuthenticator('another secret')(ctx).verify(octets, payload, idPayload, [])).toBe(false);
  });

  it('one factory serves IKE SAs of different PRFs, each with its own padded key', async () => {
    const factory = pskAuthenticator('a shared secret');
    const octets = fromHex('00112233445566778899');
    for (const alg of ['hmac-sha2-256', 'hmac-sha1', 'hmac-sha2-512', 'hmac-sha2-256'] as const) {
      const p = (k: Uint8Array, d: Uint8Array) => prf(c, alg, k, d);
      const expected = p(p(new TextEncoder().encode('a shared secret'), KEY_PAD), octets);
      const auth = factory({ ...ctx, prfAlgorithm: alg, prf: p });
      expect(toHex(await auth.sign(octets))).toBe(toHex(expected));
      const payload = { kind: 'AUTH' as const, method: 2, data: expected };
      expect(
        await auth.verify(octets, payload, { kind: 'IDi', idType: 1, data: fromHex('0a50500d') }, []),
      ).toBe(true);
    }
  });

  it('refuses an empty secret', () => {
    expect(() => pskAuthenticator('')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
