import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { u32ToBytes } from '../bytes.js';
import { EXCHANGE, PAYLOAD } from '../constants.js';
import { parseProposals, type Suite, toProposals } from '../crypto/proposals.js';
import { SkCipher } from '../crypto/sk-cipher.js';
import { IkeError } from '../errors.js';
import { decodeMessage, encodeMessage } from '../message.js';
import { Lab } from '../test-support/harness.js';
import { A, agreed, B, ikeBytes, pair } from '../test-support/peers.js';

/** A state fingerprint of a daemon: SAs, their Message ID-relevant identity, CHILD_SAs. */
function fingerprint(h: { ike: { listSas(): unknown[] } }): string {
  return JSON.stringify(h.ike.listSas());
}

describe('bad messages never crash a daemon nor create or change state (RFC 7296 2.21)', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it.each([
    ['with cookies on, nothing at all', 0],
    ['without cookies, only half-open SAs that expire unseen', undefined],
  ])('drops mutated, truncated, replayed and wrongly keyed messages: %s', async (_name, cookieThreshold) => {
    lab = new Lab();
    // A one-bit change of a captured IKE_SA_INIT request is a new, valid, unauthenticated request:
    // without cookies it rightly opens a half-open SA (RFC 7296 section 2.6), which must die unseen.
    const daemon = cookieThreshold === undefined ? {} : { cookieThreshold };
    const { a, b } = await pair(lab, { daemonA: daemon, daemonB: daemon });
    const r = await lab.run(a.ike.initiate('b'));
    await lab.run(a.ike.liveness(r.ike.ikeSpi));
    const captured = lab.net.captured.map((c) => c.datagram);
    const fa = fingerprint(a);
    const fb = fingerprint(b);
    const junkKeys: Suite = {
      protocol: 'ike',
      encr: 'aes-gcm-16',
      encrKeyBits: 128,
      prf: 'hmac-sha2-256',
      dh: 14,
    };
    const wrong = new SkCipher(a.host.resolve(Symbol.for('@mip6sec/core:CryptoProvider')), junkKeys, {
      enc: new Uint8Array(20).fill(9),
      integ: new Uint8Array(0),
    });
    const spiI = BigInt(`0x${r.ike.spiI}`);
    const spiR = BigInt(`0x${r.ike.spiR}`);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: captured.length - 1 }),
        fc.oneof(
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.nat(),
            bit: fc.integer({ min: 0, max: 7 }),
          }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('replay' as const) }),
          fc.record({
            kind: fc.constant('rekeyed' as const),
            mid: fc.integer({ min: 0, max: 6 }),
            exchange: fc.constantFrom(35, 36, 37),
          }),
          fc.record({
            kind: fc.constant('random' as const),
            data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
          }),
        ),
        async (i, m) => {
          const d = captured[i]!;
          let data: Uint8Array = d.data.slice();
          if (m.kind === 'flip') {
            const at = m.at % data.length;
            data[at] = data[at]! ^ (1 << m.bit);
          } else if (m.kind === 'cut') data = data.subarray(0, m.at % data.length);
          else if (m.kind === 'rekeyed') {
            const sealed = wrong.seal(
              {
                spiI,
                spiR,
                exchange: m.exchange,
                response: false,
                initiator: d.src.ip === A,
                messageId: m.mid,
              },
              [{ kind: 'D', protocol: 1, spiSize: 0, spis: [] }],
            );
            data = d.dst.port === 4500 ? new Uint8Array([0, 0, 0, 0, ...sealed]) : sealed;
          } else if (m.kind === 'random')
            data = d.dst.port === 4500 ? new Uint8Array([0, 0, 0, 0, ...m.data]) : m.data;
          lab.net.route(d.src.ip === A ? 'a' : 'b', { src: d.src, dst: d.dst, data });
          await lab.advance(20);
          if (cookieThreshold !== undefined) {
            expect(fingerprint(a)).toBe(fa);
            expect(fingerprint(b)).toBe(fb);
          }
        },
      ),
      { numRuns: 300 },
    );
    await lab.advance(31_000);
    expect(fingerprint(a)).toBe(fa);
    expect(fingerprint(b)).toBe(fb);
    // Nothing but typed protocol errors reached the daemons' error logs.
    for (const h of [a, b]) expect(h.ike.errors.filter((e) => !(e.error instanceof IkeError))).toEqual([]);
    expect(a.of('ike.sa-deleted')).toEqual([]);
    expect(b.of('ike.sa-deleted')).toEqual([]);
    // And the SA still works both ways.
    expect(await lab.run(a.ike.liveness(r.ike.ikeSpi))).toBe(true);
    expect(await lab.run(b.ike.liveness(r.ike.ikeSpi))).toBe(true);
    expect(agreed(a, b)).toBe(true);
  });

  it('answers an authentic request with an unknown critical payload with UNSUPPORTED_CRITICAL_PAYLOAD, keeping the SA', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab);
    const r = await lab.run(a.ike.initiate('b'));
    const la = a.ike.listSas({ keys: true })[0]!;
    const crypto = a.host.resolve(
      Symbol.for('@mip6sec/core:CryptoProvider'),
    ) as import('@mip6sec/core').CryptoProvider;
    const suite: Suite = {
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha2-256-128',
      prf: 'hmac-sha2-256',
      dh: 14,
    };
    const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));
    const ours = new SkCipher(crypto, suite, { enc: fromHex(la.keys!.skEi), integ: fromHex(la.keys!.skAi) });
    const theirs = new SkCipher(crypto, suite, {
      enc: fromHex(la.keys!.skEr),
      integ: fromHex(la.keys!.skAr),
    });
    const spiI = BigInt(`0x${r.ike.spiI}`);
    const spiR = BigInt(`0x${r.ike.spiR}`);
    // Message ID 2 is the next one A would use (0 IKE_SA_INIT, 1 IKE_AUTH).
    const req = ours.seal(
      { spiI, spiR, exchange: EXCHANGE.INFORMATIONAL, response: false, initiator: true, messageId: 2 },
      [{ kind: 'UNKNOWN', type: 200, critical: true, data: Uint8Array.of(1) }],
    );
    let answer: Uint8Array | undefined;
    const sock = await lab.net.transport('a', [A]).bind({ ip: A, port: 4600 });
    sock.messages.subscribe((d) => {
      answer = d.data;
    });
    // From port 4600 of A to B's NAT-T port: the answer comes back to 4600 (responses go where requests came from).
    sock.send({ ip: B, port: 4500 }, new Uint8Array([0, 0, 0, 0, ...req]));
    await lab.advance(50);
    expect(answer).toBeDefined();
    const reply = ikeBytes({ data: answer!, dst: { port: 4500 } });
    const m = decodeMessage(reply);
    expect(m.response).toBe(true);
    const inner = theirs.open(reply, m);
    expect(inner).toEqual([
      { kind: 'N', protocol: 0, spi: new Uint8Array(0), notify: 1, data: Uint8Array.of(200) },
    ]);
    expect(b.ike.listSas()).toHaveLength(1);
    expect(b.of('ike.exchange').at(-1)).toMatchObject({
      exchange: 'INFORMATIONAL',
      initiator: false,
      ok: false,
    });
    sock.close();
  });

  it('answers an IKE_SA_INIT it cannot parse with INVALID_SYNTAX and one for an unknown SA with INVALID_IKE_SPI, keeping nothing', async () => {
    lab = new Lab();
    const { b } = await pair(lab);
    const X = '2001:db8::99';
    const sock = await lab.net.transport('x', [X]).bind({ ip: X, port: 500 });
    const answers: Uint8Array[] = [];
    sock.messages.subscribe((d) => answers.push(d.data));
    const base = {
      spiI: 5n,
      spiR: 0n,
      exchange: EXCHANGE.IKE_SA_INIT,
      response: false,
      initiator: true,
      messageId: 0,
    };
    // No KE: INVALID_SYNTAX.
    sock.send(
      { ip: B, port: 500 },
      encodeMessage({
        ...base,
        payloads: [
          {
            kind: 'SA',
            proposals: toProposals(parseProposals(['aes128-sha256-modp2048'], 'ike'), new Uint8Array(0)),
          },
          { kind: 'NONCE', data: new Uint8Array(32) },
        ],
      }),
    );
    // An unknown SA: INVALID_IKE_SPI, unprotected, with the SPIs and Message ID copied.
    sock.send(
      { ip: B, port: 500 },
      encodeMessage({
        ...base,
        spiR: 99n,
        exchange: EXCHANGE.INFORMATIONAL,
        messageId: 4,
        payloads: [{ kind: 'SK', firstPayload: 0, data: new Uint8Array(40) }],
      }),
    );
    // A response for an unknown SA: silence.
    sock.send(
      { ip: B, port: 500 },
      encodeMessage({ ...base, spiR: 99n, exchange: EXCHANGE.INFORMATIONAL, response: true, payloads: [] }),
    );
    // A critical unknown payload in IKE_SA_INIT: UNSUPPORTED_CRITICAL_PAYLOAD.
    sock.send(
      { ip: B, port: 500 },
      encodeMessage({
        ...base,
        payloads: [{ kind: 'UNKNOWN', type: 222, critical: true, data: new Uint8Array(0) }],
      }),
    );
    // A higher major version.
    const v3 = encodeMessage({ ...base, payloads: [] });
    v3[17] = 0x30;
    sock.send({ ip: B, port: 500 }, v3);
    await lab.advance(50);
    const decoded = answers.map((x) => decodeMessage(x));
    expect(
      decoded.map((m) => [m.exchange, m.messageId, m.payloads[0]?.kind === 'N' ? m.payloads[0].notify : -1]),
    ).toEqual([
      [EXCHANGE.IKE_SA_INIT, 0, 7],
      [EXCHANGE.INFORMATIONAL, 4, 4],
      [EXCHANGE.IKE_SA_INIT, 0, 1],
      [EXCHANGE.IKE_SA_INIT, 0, 5],
    ]);
    expect(decoded[1]!.spiR).toBe(99n);
    expect(b.ike.listSas()).toEqual([]);
    expect(PAYLOAD.SK).toBe(46);
    sock.close();
  });

  it('refuses a peer with the wrong PSK: AUTHENTICATION_FAILED, no SA on either end, no CHILD_SA in the kernels', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { peerA: { auth: { psk: 'wrong' } } });
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await lab.advance(1000);
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(b.of('ike.sa-established')).toEqual([]);
    // Both ends name the notify in their failed IKE_AUTH event.
    expect(a.of('ike.exchange').at(-1)).toMatchObject({
      exchange: 'IKE_AUTH',
      ok: false,
      notify: 'AUTHENTICATION_FAILED',
    });
    expect(b.of('ike.exchange').at(-1)).toMatchObject({
      exchange: 'IKE_AUTH',
      ok: false,
      notify: 'AUTHENTICATION_FAILED',
    });
  });

  it('rejects initiate() with ETIMEDOUT when the responder never answers', async () => {
    lab = new Lab();
    const { a } = await pair(lab);
    lab.net.filter = () => 'drop';
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringMatching(/no response to IKE_SA_INIT/),
    });
    const last = a.of('ike.exchange').at(-1);
    expect(last).toMatchObject({ exchange: 'IKE_SA_INIT', ok: false });
    expect(last && 'notify' in last).toBe(false);
    expect(a.ike.listSas()).toEqual([]);
  });

  it('refuses a responder that proves the wrong PSK, telling it in an INFORMATIONAL', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      peerB: { auth: { psk: 'wrong' }, remoteAuth: { psk: 'correct horse battery staple' } },
    });
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await lab.advance(1000);
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(b.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['peer reported AUTHENTICATION_FAILED']);
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(u32ToBytes(1)).toHaveLength(4);
  });
});
