import { createCryptoProvider } from '@mip6sec/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AOSP, RFC7634 } from '../__fixtures__/vectors.js';
import { fromHex, toHex } from '../bytes.js';
import { EXCHANGE, NOTIFY, PAYLOAD } from '../constants.js';
import { IkeError } from '../errors.js';
import { decodeMessage } from '../message.js';
import { decodePayloads } from '../payloads/chain.js';
import { arbitraryPayload } from '../test-support/arbitraries.js';
import type { Suite } from './proposals.js';
import { SkCipher } from './sk-cipher.js';

const CBC_SHA1: Suite = {
  protocol: 'ike',
  encr: 'aes-cbc',
  encrKeyBits: 128,
  integ: 'hmac-sha1-96',
  prf: 'hmac-sha1',
  dh: 14,
};
const GCM256: Suite = { protocol: 'ike', encr: 'aes-gcm-16', encrKeyBits: 256, prf: 'hmac-sha2-256', dh: 19 };
const CHACHA: Suite = { protocol: 'ike', encr: 'chacha20-poly1305', prf: 'hmac-sha2-256', dh: 31 };

describe.each(['native', 'portable'] as const)('SK payload (%s provider)', (kind) => {
  const c = createCryptoProvider(kind);

  it('seals the AOSP IKE_AUTH request byte for byte and opens it (AES-CBC-128 + HMAC-SHA1-96)', () => {
    // Source: AOSP IkeEncryptedPayloadBodyTest (IV, padding and keys of that session).
    const plain = fromHex(AOSP.ikeAuthPlain);
    const inner = decodePayloads(plain, 0, plain.length, PAYLOAD.IDi, { encrypted: true });
    const cipher = new SkCipher(c, CBC_SHA1, { enc: fromHex(AOSP.skEi), integ: fromHex(AOSP.skAi) });
    const header = {
      spiI: 0x5f54bf6d8b48e6e1n,
      spiR: 0x909232b3d1edcb5cn,
      exchange: EXCHANGE.IKE_AUTH,
      response: false,
      initiator: true,
      messageId: 1,
    };
    const sealed = cipher.seal(header, inner, {
      iv: fromHex(AOSP.ikeAuthIv),
      padding: fromHex(AOSP.ikeAuthPadding),
    });
    expect(toHex(sealed)).toBe(AOSP.ikeAuthRequest);
    const bytes = fromHex(AOSP.ikeAuthRequest);
    expect(cipher.open(bytes, decodeMessage(bytes))).toEqual(inner);
  });

  it('opens the AOSP AES-GCM-16-256 message (AAD = first 32 bytes, nonce = salt | IV)', () => {
    const bytes = fromHex(AOSP.gcmMessage);
    const cipher = new SkCipher(c, GCM256, { enc: fromHex(AOSP.gcmKey), integ: new Uint8Array(0) });
    const inner = cipher.open(bytes, decodeMessage(bytes));
    expect(inner).toHaveLength(1);
    expect(inner[0]?.kind).toBe('AUTH');
    // AOSP's decrypted body is the AUTH payload alone (the Pad Length octet, 0, already removed).
    const plain = fromHex(AOSP.gcmPlain);
    expect(inner).toEqual(decodePayloads(plain, 0, plain.length, PAYLOAD.AUTH));
  });

  it('opens the RFC 7634 Appendix B ChaCha20-Poly1305 message and seals it again byte for byte', () => {
    const bytes = fromHex(RFC7634.message);
    expect(bytes.length).toBe(69);
    const cipher = new SkCipher(c, CHACHA, { enc: fromHex(RFC7634.key), integ: new Uint8Array(0) });
    const m = decodeMessage(bytes);
    const inner = cipher.open(bytes, m);
    expect(inner).toEqual([
      {
        kind: 'N',
        protocol: 0,
        spi: new Uint8Array(0),
        notify: NOTIFY.SET_WINDOW_SIZE,
        data: Uint8Array.of(0, 0, 0, 10),
      },
    ]);
    const again = cipher.seal(m, inner, { iv: fromHex('1011121314151617') });
    expect(toHex(again)).toBe(RFC7634.message);
  });

  it.each([
    [
      'aes-cbc + hmac-sha2-256-128',
      {
        protocol: 'ike',
        encr: 'aes-cbc',
        encrKeyBits: 256,
        integ: 'hmac-sha2-256-128',
        prf: 'hmac-sha2-256',
        dh: 14,
      } as Suite,
      32,
      32,
    ],
    [
      'aes-gcm-16-128',
      { protocol: 'ike', encr: 'aes-gcm-16', encrKeyBits: 128, prf: 'hmac-sha2-256', dh: 19 } as Suite,
      20,
      0,
    ],
    ['chacha20-poly1305', CHACHA, 36, 0],
  ])('round-trips any payloads with %s and drops any flipped bit', (_name, suite, encLen, integLen) => {
    const keys = { enc: c.randomBytes(encLen), integ: c.randomBytes(integLen) };
    const cipher = new SkCipher(c, suite, keys);
    fc.assert(
      fc.property(fc.array(arbitraryPayload, { maxLength: 4 }), fc.nat(), (inner, flip) => {
        const header = {
          spiI: 1n,
          spiR: 2n,
          exchange: EXCHANGE.INFORMATIONAL,
          response: false,
          initiator: true,
          messageId: 7,
        };
        const bytes = cipher.seal(header, inner);
        expect(cipher.open(bytes, decodeMessage(bytes))).toEqual(inner);
        const bad = bytes.slice();
        const at = flip % bad.length;
        bad[at] = bad[at]! ^ 0x01;
        try {
          cipher.open(bad, decodeMessage(bad));
          expect.unreachable('a flipped bit must not open');
        } catch (e) {
          expect(e).toBeInstanceOf(IkeError);
        }
      }),
      { numRuns: 100 },
    );
  });
});
