import type { CryptoProvider } from '@mip6sec/core';
import { createCryptoProvider, NativeCryptoProvider, PortableCryptoProvider } from '@mip6sec/crypto';
import { describe, expect, it } from 'vitest';
import { type EspSuite, espHeader, espOpen, espSeal } from './esp.js';
import { buildIpPacket } from './ip-packet.js';

const crypto = createCryptoProvider();
/** Every engine the datapath may run on: the default (the OpenSSL addon where built), node:crypto, noble. */
const ENGINES: readonly (readonly [string, CryptoProvider])[] = [
  [`native (${(crypto as NativeCryptoProvider).engine})`, crypto],
  ['native (node:crypto)', new NativeCryptoProvider({ engine: 'node:crypto' })],
  ['portable', new PortableCryptoProvider()],
];
const key = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const suites: EspSuite[] = [
  { spi: 1, enc: { alg: 'aes-gcm-16', key: key(20) }, esn: false },
  { spi: 2, enc: { alg: 'chacha20-poly1305', key: key(36) }, esn: true },
  { spi: 3, enc: { alg: 'aes-cbc', key: key(16) }, integ: { alg: 'hmac-sha1-96', key: key(20) }, esn: false },
  { spi: 4, enc: { alg: 'aes-cbc', key: key(32) }, integ: { alg: 'aes-xcbc-96', key: key(16) }, esn: true },
  {
    spi: 5,
    enc: { alg: 'null', key: key(0) },
    integ: { alg: 'hmac-sha2-512-256', key: key(64) },
    esn: false,
  },
  {
    spi: 6,
    enc: { alg: 'aes-cbc', key: key(24) },
    integ: { alg: 'hmac-sha2-256-128', key: key(32) },
    esn: true,
  },
];

for (const [engine, c] of ENGINES) {
  describe(`ESP (RFC 4303) on ${engine}`, () => {
    for (const s of suites) {
      it(`${s.enc.alg}${s.integ ? ` + ${s.integ.alg}` : ''}${s.esn ? ', ESN' : ''}: round trip, tamper, input untouched`, () => {
        for (const len of [0, 1, 3, 4, 17, 100]) {
          const payload = key(len).map((b) => b ^ 0x33);
          const seq = { hi: s.esn ? 2 : 0, lo: 50 + len };
          const esp = espSeal(c, s, seq, 6, payload, 88);
          const copy = Uint8Array.from(esp);
          expect(espOpen(c, s, seq, esp)).toEqual({ ok: true, nextHeader: 6, payload });
          const bad = Uint8Array.from(esp);
          bad[bad.length - 1]! ^= 0x01;
          const badCopy = Uint8Array.from(bad);
          expect(espOpen(c, s, seq, bad)).toMatchObject({ ok: false });
          // Decryption happens in a copy: the caller's bytes (a capture may hold them) never change.
          expect(esp).toEqual(copy);
          expect(bad).toEqual(badCopy);
          // Every engine reads every other engine's packets.
          for (const [, other] of ENGINES)
            expect(espOpen(other, s, seq, esp)).toMatchObject({ ok: true, payload });
        }
      });
    }
  });
}

describe('ESP (RFC 4303)', () => {
  for (const s of suites) {
    it(`${s.enc.alg}${s.integ ? ` + ${s.integ.alg}` : ''}${s.esn ? ', ESN' : ''}: padding, round trip, tamper`, () => {
      for (let len = 0; len < 40; len++) {
        const payload = key(len).map((b) => b ^ 0x5a);
        const seq = { hi: s.esn ? 7 : 0, lo: 1000 + len };
        const esp = espSeal(crypto, s, seq, 17, payload);
        expect(espHeader(esp)).toEqual({ spi: s.spi, seq: seq.lo });
        const block = s.enc.alg === 'aes-cbc' ? 16 : 4;
        const ivLen = s.enc.alg === 'aes-cbc' ? 16 : s.enc.alg === 'null' ? 0 : 8;
        const icvLen = s.integ
          ? { 'hmac-sha1-96': 12, 'aes-xcbc-96': 12, 'hmac-sha2-256-128': 16, 'hmac-sha2-512-256': 32 }[
              s.integ.alg as string
            ]!
          : 16;
        const body = esp.length - 8 - ivLen - icvLen;
        expect(body % block).toBe(0);
        expect(body - len - 2).toBeLessThan(block);
        expect(espOpen(crypto, s, seq, esp)).toEqual({ ok: true, nextHeader: 17, payload });
        const bad = esp.slice();
        bad[8 + ivLen]! ^= 0x80;
        expect(espOpen(crypto, s, seq, bad)).toMatchObject({
          ok: false,
          reason: s.integ || s.enc.alg !== 'null' ? 'bad-icv' : 'bad-padding',
        });
        if (s.esn)
          expect(espOpen(crypto, s, { ...seq, hi: seq.hi + 1 }, esp)).toEqual({
            ok: false,
            reason: 'bad-icv',
          });
      }
    });
  }

  it('refuses truncated packets and wrong padding', () => {
    const s = suites[4]!;
    const esp = espSeal(crypto, s, { hi: 0, lo: 1 }, 17, Uint8Array.of(1, 2));
    expect(espOpen(crypto, s, { hi: 0, lo: 1 }, esp.subarray(0, 20))).toEqual({
      ok: false,
      reason: 'truncated',
    });
    expect(espHeader(new Uint8Array(7))).toBeUndefined();
  });

  it('the AEAD IV is the sequence number (unique per packet, RFC 4106 3.1)', () => {
    const s = suites[0]!;
    const esp = espSeal(crypto, s, { hi: 0, lo: 0x01020304 }, 41, new Uint8Array(4));
    expect(Buffer.from(esp.subarray(8, 16)).toString('hex')).toBe('0000000001020304');
  });

  it('leaves headroom before the packet when asked, and both providers make the same AEAD packets', () => {
    const portable = new PortableCryptoProvider();
    for (const s of suites) {
      const seq = { hi: s.esn ? 3 : 0, lo: 77 };
      const payload = key(33);
      const plain = espSeal(crypto, s, seq, 17, payload);
      const roomy = espSeal(crypto, s, seq, 17, payload, 88);
      expect(roomy.length).toBe(plain.length);
      // The IP header goes into the headroom: the same buffer, right before the ESP bytes, no copy.
      const ip = buildIpPacket({ src: '2001:db8::1', dst: '2001:db8::2', proto: 50, payload: roomy }, 88);
      expect(ip.buffer).toBe(roomy.buffer);
      expect(ip.byteOffset + 40).toBe(roomy.byteOffset);
      const other = espSeal(portable, s, seq, 17, payload);
      if (s.enc.alg !== 'aes-cbc') {
        expect(Buffer.from(roomy).equals(Buffer.from(plain)), s.enc.alg).toBe(true);
        expect(Buffer.from(other).equals(Buffer.from(plain)), s.enc.alg).toBe(true);
      }
      for (const p of [crypto, portable])
        for (const esp of [plain, roomy, other])
          expect(espOpen(p, s, seq, esp)).toEqual({ ok: true, nextHeader: 17, payload });
    }
  });
});
