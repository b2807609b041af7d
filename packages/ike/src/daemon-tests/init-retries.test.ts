import { afterEach, describe, expect, it } from 'vitest';
import { EXCHANGE, NOTIFY } from '../constants.js';
import { decodeMessage, encodeMessage } from '../message.js';
import { Lab } from '../test-support/harness.js';
import { A, agreed, B, pair } from '../test-support/peers.js';

describe('IKE_SA_INIT retries', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it('retries with the group INVALID_KE_PAYLOAD asks for, same SPI and Message ID 0', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      ikeA: ['aes128-sha256-ecp256-modp2048'],
      ikeB: ['aes128-sha256-modp2048'],
    });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.failures).toEqual([]);
    expect(r.ike.algorithms).toBe('aes128-sha256-prfsha256-modp2048');
    expect(agreed(a, b)).toBe(true);
    const inits = lab.net.captured
      .filter((c) => c.datagram.data[18] === EXCHANGE.IKE_SA_INIT)
      .map((c) => decodeMessage(c.datagram.data));
    expect(inits).toHaveLength(4);
    expect(new Set(inits.map((m) => m.spiI)).size).toBe(1);
    expect(inits.every((m) => m.messageId === 0)).toBe(true);
    const refusal = inits[1]!.payloads[0];
    expect(refusal?.kind === 'N' && [refusal.notify, [...refusal.data]]).toEqual([
      NOTIFY.INVALID_KE_PAYLOAD,
      [0, 14],
    ]);
    const ke = inits[2]!.payloads.find((p) => p.kind === 'KE');
    expect(ke?.kind === 'KE' && ke.group).toBe(14);
    expect(a.of('ike.exchange')[0]).toEqual({
      type: 'ike.exchange',
      exchange: 'IKE_SA_INIT',
      initiator: true,
      messages: 4,
      ok: true,
    });
    expect(b.of('ike.exchange').map((e) => e.ok)).toEqual([false, true, true]);
  });

  it('gives up when the responder wants a group we did not propose', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      ikeA: ['aes128-sha256-ecp256'],
      ikeB: ['aes128-sha256-modp2048', 'aes128-sha256-ecp384'],
    });
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({ code: 'NO_PROPOSAL_CHOSEN' });
    expect(a.of('ike.exchange').at(-1)).toMatchObject({ ok: false, notify: 'NO_PROPOSAL_CHOSEN' });
    expect(b.of('ike.exchange').at(-1)).toMatchObject({ ok: false, notify: 'NO_PROPOSAL_CHOSEN' });
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
  });

  it('answers NO_PROPOSAL_CHOSEN and keeps nothing when no proposal matches', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      ikeA: ['chacha20poly1305-prfsha256-x25519'],
      ikeB: ['aes128-sha256-modp2048'],
    });
    await expect(lab.run(a.ike.initiate('b'))).rejects.toThrow(/NO_PROPOSAL_CHOSEN/);
    expect(b.ike.listSas()).toEqual([]);
    expect(a.of('ike.sa-deleted')).toHaveLength(1);
  });

  it('with cookies always on, the initiator resends with the cookie first and the responder kept nothing before', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { daemonB: { cookieThreshold: 0 } });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.failures).toEqual([]);
    expect(agreed(a, b)).toBe(true);
    const inits = lab.net.captured
      .filter((c) => c.datagram.data[18] === EXCHANGE.IKE_SA_INIT)
      .map((c) => decodeMessage(c.datagram.data));
    expect(inits).toHaveLength(4);
    const cookie = inits[1]!.payloads[0];
    expect(cookie?.kind === 'N' && cookie.notify).toBe(NOTIFY.COOKIE);
    expect(inits[1]!.spiR).toBe(0n);
    const retry = inits[2]!.payloads[0];
    expect(
      retry?.kind === 'N' && retry.notify === NOTIFY.COOKIE && cookie?.kind === 'N' && [...retry.data],
    ).toEqual(cookie?.kind === 'N' ? [...cookie.data] : []);
  });

  it('switches cookies on at the half-open threshold and keeps no state for a flood, yet serves a real initiator', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      daemonB: { cookieThreshold: 3 },
      addressesA: [A, '2001:db8:a::1', '2001:db8::66'],
    });
    // A flood of IKE_SA_INITs from one spoofed source: only the first three create half-open SAs.
    const sock = await lab.net.transport('a', [A, '2001:db8::66']).bind({ ip: '2001:db8::66', port: 500 });
    const template = decodeMessage(
      encodeMessage({
        spiI: 1n,
        spiR: 0n,
        exchange: EXCHANGE.IKE_SA_INIT,
        response: false,
        initiator: true,
        messageId: 0,
        payloads: [],
      }),
    );
    const timersBefore = lab.clock.pending;
    const c = b.host.resolve(
      Symbol.for('@mip6sec/core:CryptoProvider'),
    ) as import('@mip6sec/core').CryptoProvider;
    const { parseProposals, toProposals } = await import('../crypto/proposals.js');
    for (let i = 0; i < 50; i++) {
      const dh = c.dh(14);
      sock.send(
        { ip: B, port: 500 },
        encodeMessage({
          ...template,
          spiI: BigInt(1000 + i),
          payloads: [
            {
              kind: 'SA',
              proposals: toProposals(parseProposals(['aes128-sha256-modp2048'], 'ike'), new Uint8Array(0)),
            },
            { kind: 'KE', group: 14, data: dh.publicKey },
            { kind: 'NONCE', data: c.randomBytes(32) },
          ],
        }),
      );
    }
    await lab.advance(100);
    expect(b.ike.listSas().filter((s) => s.state === 'authenticating')).toHaveLength(3);
    const cookies = lab.net.captured.filter(
      (x) =>
        x.from === 'b' &&
        x.datagram.data[19] === 0x20 &&
        decodeMessage(x.datagram.data).payloads[0]?.kind === 'N',
    );
    expect(cookies).toHaveLength(47);
    // Three half-open expiry timers are all the flood left behind.
    expect(lab.clock.pending - timersBefore).toBe(3);
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.failures).toEqual([]);
    expect(b.ike.listSas().filter((s) => s.state === 'established')).toHaveLength(1);
    // The flood's half-open SAs go away silently.
    await lab.advance(31_000);
    expect(b.ike.listSas().filter((s) => s.state === 'authenticating')).toHaveLength(0);
    expect(b.of('ike.sa-deleted')).toHaveLength(0);
    sock.close();
  });
});
