import type { Datagram } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, fromHex } from '../bytes.js';
import { EXCHANGE, NOTIFY } from '../constants.js';
import { parseProposal, suiteOf, toProposals } from '../crypto/proposals.js';
import { SkCipher } from '../crypto/sk-cipher.js';
import { decodeMessage } from '../message.js';
import type { Payload } from '../payloads/types.js';
import { Lab, type TestHost } from '../test-support/harness.js';
import { A, B, ikeBytes, type PairOptions, pair } from '../test-support/peers.js';

const crypto = createCryptoProvider();
const suite = suiteOf(toProposals([parseProposal('aes128-sha256-modp2048', 'ike')], new Uint8Array(0))[0]!);

function header(d: Datagram) {
  const b = ikeBytes(d);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { exchange: b[18]!, response: (b[19]! & 0x20) !== 0, mid: v.getUint32(20) };
}

describe('window size (RFC 7296 section 2.3) and INVALID_MESSAGE_ID', () => {
  let lab: Lab;
  afterEach(async () => lab?.stop());

  async function up(o: PairOptions = {}): Promise<{ a: TestHost; b: TestHost; ikeSpi: string }> {
    lab = new Lab();
    const { a, b } = await pair(lab, o);
    const r = await lab.run(a.ike.initiate('b'));
    return { a, b, ikeSpi: r.ike.ikeSpi };
  }

  const child = (i: number) => ({
    name: `c${i}`,
    esp: ['aes128gcm16'],
    localTs: [`2001:db8:a:${i}::/64`],
    remoteTs: [`2001:db8:b:${i}::/64`],
  });

  /** Virtual times at which `a` sent its CREATE_CHILD_SA requests (first transmissions). */
  function requestTimes(): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const c of lab.net.captured) {
      const h = header(c.datagram);
      if (c.from !== 'a' || h.response || h.exchange !== EXCHANGE.CREATE_CHILD_SA || seen.has(h.mid))
        continue;
      seen.add(h.mid);
      out.push(c.at);
    }
    return out;
  }

  it('runs one request at a time by default', async () => {
    const { a, ikeSpi } = await up();
    await lab.run(Promise.all([1, 2, 3].map((i) => a.ike.createChild(ikeSpi, child(i)))));
    const t = requestTimes();
    expect(t).toHaveLength(3);
    expect(new Set(t).size).toBe(3);
  });

  it('announces SET_WINDOW_SIZE and keeps up to the smaller window in flight', async () => {
    const { a, b, ikeSpi } = await up({ daemonA: { windowSize: 4 }, daemonB: { windowSize: 2 } });
    await lab.run(Promise.all([1, 2, 3, 4].map((i) => a.ike.createChild(ikeSpi, child(i)))));
    const t = requestTimes();
    expect(t).toHaveLength(4);
    // Two go at once, the next two once the first answers are in.
    expect(t[0]).toBe(t[1]);
    expect(t[2]).toBeGreaterThan(t[1]!);
    expect(a.ike.listSas()[0]!.children).toHaveLength(5);
    expect(b.ike.listSas()[0]!.children).toHaveLength(5);
  });

  it('answers requests that arrive out of order within its window', async () => {
    const { a, b, ikeSpi } = await up({ daemonA: { windowSize: 4 }, daemonB: { windowSize: 4 } });
    let dropped = false;
    lab.net.filter = (d, from) => {
      const h = header(d);
      if (from === 'a' && !h.response && h.exchange === EXCHANGE.CREATE_CHILD_SA && !dropped) {
        dropped = true; // the first request, once
        return 'drop';
      }
      return 'pass';
    };
    const results = await lab.run(Promise.all([1, 2, 3, 4].map((i) => a.ike.createChild(ikeSpi, child(i)))));
    expect(results).toHaveLength(4);
    expect(new Set(requestTimes()).size).toBe(1);
    expect(b.ike.listSas()[0]!.children).toHaveLength(5);
    // Requests 3, 4, 5 were answered before 2, which came again after the retransmission timeout.
    const answers = lab.net.captured
      .filter((c) => c.from === 'b' && header(c.datagram).exchange === EXCHANGE.CREATE_CHILD_SA)
      .map((c) => header(c.datagram).mid);
    expect(answers).toEqual([3, 4, 5, 2]);
  });

  /** A request of `a`'s made by hand with `a`'s keys, Message ID `mid`. */
  function forge(a: TestHost, mid: number, payloads: Payload[], tamper = false): Datagram {
    const sa = a.ike.listSas({ keys: true })[0]!;
    const keys = { enc: fromHex(sa.keys!.skEi), integ: fromHex(sa.keys!.skAi) };
    let bytes = new SkCipher(crypto, suite, keys).seal(
      {
        spiI: BigInt(`0x${sa.spiI}`),
        spiR: BigInt(`0x${sa.spiR}`),
        exchange: EXCHANGE.INFORMATIONAL,
        response: false,
        initiator: true,
        messageId: mid,
      },
      payloads,
    );
    if (tamper) {
      bytes = bytes.slice();
      bytes[bytes.length - 1]! ^= 1;
    }
    const port = Number(sa.local.split(':').at(-1));
    return {
      src: { ip: A, port },
      dst: { ip: B, port },
      data: port === 4500 ? concat(new Uint8Array(4), bytes) : bytes,
    };
  }

  /** INFORMATIONAL requests `b` sent, opened with its keys. */
  function fromB(b: TestHost): { mid: number; payloads: Payload[] }[] {
    const sa = b.ike.listSas({ keys: true })[0]!;
    const cipher = new SkCipher(crypto, suite, {
      enc: fromHex(sa.keys!.skEr),
      integ: fromHex(sa.keys!.skAr),
    });
    return lab.net.captured
      .filter((c) => c.from === 'b')
      .map((c) => ({ bytes: ikeBytes(c.datagram), h: header(c.datagram) }))
      .filter((x) => x.h.exchange === EXCHANGE.INFORMATIONAL)
      .map((x) => ({
        mid: x.h.mid,
        response: x.h.response,
        payloads: cipher.open(x.bytes, decodeMessage(x.bytes)),
      }))
      .filter((x) => !x.response);
  }

  it('tells the peer INVALID_MESSAGE_ID for an authentic request beyond the window, at a limited rate', async () => {
    const { a, b } = await up();
    const send = (d: Datagram) => lab.net.route('a', d);
    // Message IDs 1 (IKE_AUTH) is done; 2 is expected. 7 is beyond a window of 1.
    for (let i = 0; i < 5; i++) send(forge(a, 7, []));
    await lab.advance(100);
    let sent = fromB(b);
    expect(sent).toHaveLength(1);
    const n = sent[0]!.payloads[0];
    expect(n).toMatchObject({
      kind: 'N',
      notify: NOTIFY.INVALID_MESSAGE_ID,
      data: Uint8Array.of(0, 0, 0, 7),
    });
    // It was not acknowledged: no response with Message ID 7 left b.
    expect(
      lab.net.captured.some(
        (c) => c.from === 'b' && header(c.datagram).response && header(c.datagram).mid === 7,
      ),
    ).toBe(false);
    // a answered b's INFORMATIONAL and noted the complaint.
    expect(
      a.ike.errors.some((e) => /request 7 beyond its window|beyond its window/.test(String(e.error))),
    ).toBe(true);
    // A forged one never counts, and after the interval an authentic one is reported again.
    await lab.advance(1000);
    send(forge(a, 9, [], true));
    await lab.advance(100);
    expect(fromB(b)).toHaveLength(1);
    send(forge(a, 9, []));
    await lab.advance(100);
    sent = fromB(b);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.payloads[0]).toMatchObject({ data: Uint8Array.of(0, 0, 0, 9) });
    // Both IKE SAs are still fine.
    expect(await lab.run(a.ike.liveness(a.ike.listSas()[0]!.ikeSpi))).toBe(true);
  });

  it('drops old requests it no longer has an answer for, silently', async () => {
    const { a, b } = await up();
    const before = lab.net.captured.length;
    lab.net.route('a', forge(a, 0, []));
    await lab.advance(100);
    expect(lab.net.captured.slice(before).filter((c) => c.from === 'b')).toEqual([]);
    expect(b.ike.listSas()[0]!.state).toBe('established');
  });
});

describe('stop() with deleteOnStop', () => {
  let lab: Lab;
  afterEach(async () => lab?.stop());

  it('sends DELETE for each IKE SA and removes its CHILD_SAs from the kernel', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { daemonA: { deleteOnStop: true } });
    await lab.run(a.ike.initiate('b'));
    expect(await a.kernel.dumpSas()).toHaveLength(2);
    await lab.run(a.ike.stop());
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(a.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['daemon stopped']);
    expect(b.of('ike.sa-deleted').map((e) => e.reason)).toEqual(['deleted by peer']);
  });

  it('gives up on a silent peer after stopTimeout and still cleans up', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { daemonB: { deleteOnStop: true, stopTimeout: 500 } });
    await lab.run(a.ike.initiate('b'));
    lab.net.filter = () => 'drop';
    const t0 = lab.clock.now();
    await lab.run(b.ike.stop());
    expect(lab.clock.now() - t0).toBeLessThan(1000);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
  });

  it('leaves SAs alone without it', async () => {
    lab = new Lab();
    const { a } = await pair(lab);
    await lab.run(a.ike.initiate('b'));
    await a.ike.stop();
    expect(await a.kernel.dumpSas()).toHaveLength(2);
  });
});
