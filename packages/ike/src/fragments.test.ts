import { createCryptoProvider } from '@mip6sec/crypto';
import { describe, expect, it } from 'vitest';
import { EXCHANGE, PAYLOAD } from './constants.js';
import { parseProposal, suiteOf, toProposals } from './crypto/proposals.js';
import { SkCipher } from './crypto/sk-cipher.js';
import { Reassembly } from './fragments.js';
import { decodeMessage } from './message.js';
import { decodePayloads } from './payloads/chain.js';
import type { Payload } from './payloads/types.js';

const crypto = createCryptoProvider();
const header = {
  spiI: 0x0102030405060708n,
  spiR: 0x1112131415161718n,
  exchange: EXCHANGE.IKE_AUTH,
  response: false,
  initiator: true,
  messageId: 1,
};
const inner: Payload[] = [
  { kind: 'IDi', idType: 2, data: new TextEncoder().encode('mn.example.org') },
  { kind: 'CERT', encoding: 4, data: crypto.randomBytes(3000) },
  { kind: 'AUTH', method: 14, data: crypto.randomBytes(300) },
];

function cipher(proposal: string): SkCipher {
  const suite = suiteOf(toProposals([parseProposal(proposal, 'ike')], new Uint8Array(0))[0]!);
  const enc = crypto.randomBytes(suite.encr === 'aes-gcm-16' ? 20 : 16);
  return new SkCipher(crypto, suite, {
    enc,
    integ: suite.integ ? crypto.randomBytes(32) : new Uint8Array(0),
  });
}

const limits = { maxFragments: 64, maxBytes: 65535 };

describe('SKF fragments (RFC 7383 section 2.5)', () => {
  it.each(['aes128-sha256-modp2048', 'aes128gcm16-prfsha256-ecp256'])(
    '%s: every fragment fits, stands on its own and the pieces give back the message',
    (proposal) => {
      const c = cipher(proposal);
      for (const max of [548, 1232, 2000]) {
        const frags = c.sealFragments(header, inner, max);
        expect(frags.length).toBeGreaterThan(1);
        const r = new Reassembly(limits);
        let done: ReturnType<Reassembly['add']> | undefined;
        // Out of order, each opened on its own.
        for (const f of [...frags].reverse()) {
          expect(f.length).toBeLessThanOrEqual(max);
          const m = decodeMessage(f);
          expect(m.payloads.at(-1)?.kind).toBe('SKF');
          const opened = c.openFragment(f, m);
          expect(opened.total).toBe(frags.length);
          expect(opened.firstPayload).toBe(opened.fragment === 1 ? PAYLOAD.IDi : PAYLOAD.NONE);
          done = r.add(opened, f);
        }
        expect(done?.kind).toBe('complete');
        if (done?.kind !== 'complete') return;
        expect(decodePayloads(done.content, 0, done.content.length, done.firstPayload)).toEqual(inner);
        expect(r.first).toEqual(frags[0]);
        // One fragment's bytes changed: dropped as forged.
        const bad = frags[1]!.slice();
        bad[bad.length - 20]! ^= 1;
        expect(() => c.openFragment(bad, decodeMessage(bad))).toThrow(
          expect.objectContaining({ code: 'EBADMSG' }),
        );
      }
      // Fragments are as large as allowed: all but the last fill the size to the block.
      const frags = c.sealFragments(header, inner, 1232);
      for (const f of frags.slice(0, -1)) expect(f.length).toBeGreaterThan(1232 - 16);
    },
  );

  it('refuses a size with no room for content', () => {
    expect(() => cipher('aes128-sha256-modp2048').sealFragments(header, inner, 60)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});

describe('reassembly', () => {
  const frag = (fragment: number, total: number, n = 10) => ({
    fragment,
    total,
    firstPayload: fragment === 1 ? 35 : 0,
    content: new Uint8Array(n).fill(fragment),
  });
  const raw = Uint8Array.of(1, 2, 3);

  it('keeps each fragment once and completes in order of numbers', () => {
    const r = new Reassembly(limits);
    expect(r.add(frag(2, 3), raw).kind).toBe('stored');
    expect(r.add(frag(2, 3), raw).kind).toBe('duplicate');
    expect(r.add(frag(1, 3), raw).kind).toBe('stored');
    const done = r.add(frag(3, 3), raw);
    expect(done).toMatchObject({ kind: 'complete', firstPayload: 35 });
    expect(done.kind === 'complete' && [...done.content.subarray(8, 12)]).toEqual([1, 1, 2, 2]);
  });

  it('starts again when the sender re-fragments smaller, and refuses a lower total', () => {
    const r = new Reassembly(limits);
    r.add(frag(1, 2), raw);
    expect(r.add(frag(1, 4), raw).kind).toBe('stored');
    expect(r.add(frag(2, 2), raw)).toMatchObject({ kind: 'refused' });
    for (const i of [2, 3]) expect(r.add(frag(i, 4), raw).kind).toBe('stored');
    expect(r.add(frag(4, 4), raw).kind).toBe('complete');
  });

  it('holds to its limits', () => {
    const r = new Reassembly({ maxFragments: 3, maxBytes: 25 });
    expect(r.add(frag(1, 4), raw)).toMatchObject({
      kind: 'refused',
      why: expect.stringMatching(/limit of 3/),
    });
    expect(r.add(frag(1, 3), raw).kind).toBe('stored');
    expect(r.add(frag(2, 3), raw).kind).toBe('stored');
    expect(r.add(frag(3, 3), raw)).toMatchObject({ kind: 'refused', why: expect.stringMatching(/25 bytes/) });
  });
});
