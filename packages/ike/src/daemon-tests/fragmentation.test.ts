import type { Datagram } from '@mip6sec/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE, NOTIFY, PAYLOAD } from '../constants.js';
import { decodeMessage } from '../message.js';
import { Lab } from '../test-support/harness.js';
import { agreed, ikeBytes, type PairOptions, pair } from '../test-support/peers.js';
import { type Issued, skipWithoutOpenssl, TestPki } from '../test-support/pki.js';

const skip = skipWithoutOpenssl();

/** What a captured IKE datagram is: exchange, direction, Message ID, and its SKF numbers if any. */
function info(d: Datagram) {
  const b = ikeBytes(d);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const skf = b[16] === PAYLOAD.SKF;
  return {
    exchange: b[18]!,
    response: (b[19]! & 0x20) !== 0,
    mid: v.getUint32(20),
    fragment: skf ? v.getUint16(32) : 0,
    total: skf ? v.getUint16(34) : 0,
    length: b.length,
  };
}

describe.skipIf(skip)('IKE fragmentation (RFC 7383) of a certificate-bearing IKE_AUTH', () => {
  let pki: TestPki;
  let alice: Issued;
  let gw: Issued;
  let inter: Issued;
  let root: Issued;
  let lab: Lab;
  const epoch = () => Date.now() - 1_000_000;

  beforeAll(async () => {
    pki = await TestPki.create();
    root = await pki.root('root', 'rsa3072', '/O=mip6sec/CN=Root');
    inter = await pki.issue('inter', 'root', {
      subject: '/O=mip6sec/CN=Intermediate',
      key: 'rsa3072',
      ca: true,
    });
    alice = await pki.issue('alice', 'inter', {
      subject: '/O=mip6sec/CN=alice',
      key: 'rsa3072',
      san: ['email:alice@example.org', 'DNS:alice.example.org', 'IP:2001:db8::a', 'IP:192.0.2.10'],
    });
    gw = await pki.issue('gw', 'inter', {
      subject: '/O=mip6sec/CN=gw',
      key: 'rsa3072',
      san: ['DNS:gw.example.org', 'IP:2001:db8::b', 'IP:192.0.2.20'],
    });
  }, 60_000);
  afterAll(async () => pki?.dispose());
  afterEach(async () => lab?.stop());

  const auth = (who: Issued) => ({
    auth: { cert: [who.certPem, inter.certPem], key: who.keyPem, ca: [root.certPem], epoch: epoch() },
  });

  function opts(extra: PairOptions = {}): PairOptions {
    return { ...extra, peerA: { ...auth(alice), ...extra.peerA }, peerB: { ...auth(gw), ...extra.peerB } };
  }

  const authDatagrams = () =>
    lab.net.captured
      .map((c) => ({ ...info(c.datagram), from: c.from }))
      .filter((x) => x.exchange === EXCHANGE.IKE_AUTH);

  it('negotiates support in IKE_SA_INIT and fragments both IKE_AUTH messages to fit 1280 bytes (IPv6)', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, opts());
    await lab.run(a.ike.initiate('b'));
    expect(agreed(a, b)).toBe(true);
    const init = lab.net.captured.slice(0, 2).map((c) => decodeMessage(ikeBytes(c.datagram)));
    for (const m of init)
      expect(
        m.payloads.some((p) => p.kind === 'N' && p.notify === NOTIFY.IKEV2_FRAGMENTATION_SUPPORTED),
      ).toBe(true);
    const auths = authDatagrams();
    const req = auths.filter((x) => !x.response);
    const res = auths.filter((x) => x.response);
    expect(req.length).toBeGreaterThan(2);
    expect(res.length).toBeGreaterThan(2);
    expect(req.map((x) => x.fragment)).toEqual(req.map((_, i) => i + 1));
    expect(new Set(req.map((x) => x.total))).toEqual(new Set([req.length]));
    // 1280 less the IPv6 and UDP headers and the non-ESP marker on port 4500.
    for (const x of auths) expect(x.length).toBeLessThanOrEqual(1280 - 40 - 8 - 4);
    expect(Math.max(...auths.map((x) => x.length))).toBeGreaterThan(1100);
    // The exchange still counts as one request and one response.
    expect(a.of('ike.exchange').map((e) => [e.exchange, e.messages])).toEqual([
      ['IKE_SA_INIT', 2],
      ['IKE_AUTH', 2],
    ]);
  });

  it('fits 576 bytes over IPv4, and a configured size', async () => {
    lab = new Lab();
    const v4 = (x: string) => ({ listen: [x] });
    const { a } = await pair(
      lab,
      opts({
        addressesA: ['192.0.2.10', '2001:db8:a::1'],
        addressesB: ['192.0.2.20', '2001:db8:b::1'],
        daemonA: v4('192.0.2.10'),
        daemonB: { ...v4('192.0.2.20'), fragmentation: { ipv4: 1000 } },
        peerA: { local: '192.0.2.10', remote: '192.0.2.20' },
      }),
    );
    await lab.run(a.ike.initiate('b'));
    const auths = authDatagrams();
    for (const x of auths.filter((y) => !y.response)) expect(x.length).toBeLessThanOrEqual(576 - 20 - 8 - 4);
    for (const x of auths.filter((y) => y.response)) expect(x.length).toBeLessThanOrEqual(1000 - 20 - 8 - 4);
    expect(auths.filter((y) => y.response).length).toBeLessThan(auths.filter((y) => !y.response).length);
  });

  it('sends whole messages to a peer that did not offer fragmentation', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, opts({ daemonB: { fragmentation: false } }));
    await lab.run(a.ike.initiate('b'));
    expect(agreed(a, b)).toBe(true);
    const auths = authDatagrams();
    expect(auths.map((x) => x.fragment)).toEqual([0, 0]);
    expect(auths[0]!.length).toBeGreaterThan(1280);
  });

  it('gets over a lost and a forged fragment: the requester resends them all, the responder its answer', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, opts());
    const seen = new Map<string, number>();
    lab.net.filter = (d) => {
      const x = info(d);
      if (x.exchange !== EXCHANGE.IKE_AUTH || !x.fragment) return 'pass';
      const key = `${x.response}|${x.fragment}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      // First request: fragment 2 lost; its response: fragment 3 lost.
      if (n === 1 && !x.response && x.fragment === 2) return 'drop';
      if (n === 1 && x.response && x.fragment === 3) return 'drop';
      return 'pass';
    };
    // A forged fragment 1 arrives first: its ICV fails and it is dropped without harm.
    const forged = lab.net.filter;
    lab.net.filter = (d, from) => {
      const x = info(d);
      if (x.exchange === EXCHANGE.IKE_AUTH && !x.response && x.fragment === 1 && !seen.has('false|1')) {
        const bad = d.data.slice();
        bad[bad.length - 1]! ^= 0xff;
        (d as { data: Uint8Array }).data = bad;
      }
      return forged(d, from);
    };
    await lab.run(a.ike.initiate('b'));
    expect(agreed(a, b)).toBe(true);
    // Second transmission of the request completes it; the response is resent on its fragment 1.
    expect(seen.get('false|1')).toBe(3);
    expect(seen.get('true|1')).toBe(2);
    expect(a.of('ike.exchange').find((e) => e.exchange === 'IKE_AUTH')?.messages).toBeGreaterThan(2);
  });

  it('drops an incomplete message after the reassembly timeout', async () => {
    lab = new Lab();
    const { a } = await pair(lab, opts({ daemonB: { fragmentation: { reassemblyTimeout: 1000 } } }));
    let sends = 0;
    lab.net.filter = (d) => {
      const x = info(d);
      if (x.exchange !== EXCHANGE.IKE_AUTH || x.response || !x.fragment) return 'pass';
      if (x.fragment === 1) sends++;
      // Transmission 1 lacks fragment 2, transmission 2 fragment 1: only kept fragments could join them.
      if (sends === 1 && x.fragment === 2) return 'drop';
      if (sends === 2 && x.fragment === 1) return 'drop';
      return 'pass';
    };
    const started = lab.clock.now();
    await lab.run(a.ike.initiate('b'));
    // The first retransmission (after 4 s) could not complete what the timer threw away; the second (7.2 s later) did.
    expect(sends).toBe(3);
    expect(lab.clock.now() - started).toBeGreaterThan(11_000);
  });

  it('refuses messages beyond the fragment limit', async () => {
    lab = new Lab();
    const { a, b } = await pair(
      lab,
      opts({
        daemonB: { fragmentation: { maxFragments: 2 } },
        daemonA: { retransmit: { timeout: 500, base: 1, tries: 1 } },
      }),
    );
    await expect(lab.run(a.ike.initiate('b'))).rejects.toBeDefined();
    expect(b.ike.listSas().filter((s) => s.state === 'established')).toEqual([]);
    expect(b.ike.errors.some((e) => /exceed the limit of 2/.test(String(e.error)))).toBe(true);
  });
});
