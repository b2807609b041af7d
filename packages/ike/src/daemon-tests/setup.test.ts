import { afterEach, describe, expect, it } from 'vitest';
import type { PeerConfig } from '../config.js';
import { Lab } from '../test-support/harness.js';

const A = '2001:db8::a';
const B = '2001:db8::b';

function peers(ike: string[], esp: string[]): { a: PeerConfig; b: PeerConfig } {
  return {
    a: {
      name: 'b',
      local: A,
      remote: B,
      localId: 'alice@example.org',
      remoteId: 'gw.example.org',
      auth: { psk: 'correct horse battery staple' },
      ike,
      children: [{ name: 'net', esp, localTs: ['2001:db8:a::/48'], remoteTs: ['2001:db8:b::/48'], reqid: 7 }],
    },
    b: {
      name: 'a',
      remote: A,
      localId: 'gw.example.org',
      remoteId: 'alice@example.org',
      auth: { psk: 'correct horse battery staple' },
      ike,
      children: [{ name: 'net', esp, localTs: ['2001:db8:b::/48'], remoteTs: ['2001:db8:a::/48'], reqid: 9 }],
    },
  };
}

describe('IKE_SA_INIT + IKE_AUTH with a PSK between two daemons', () => {
  let lab: Lab;
  afterEach(async () => lab.stop());

  it.each([
    ['aes128-sha256-modp2048', 'aes128-sha256'],
    ['aes256gcm16-prfsha384-ecp384', 'aes256gcm16'],
    ['chacha20poly1305-prfsha256-x25519', 'chacha20poly1305'],
    ['aes128-sha256-ecp256', 'aes128gcm16'],
    ['aes256-sha512-prfsha512-curve25519', 'aes256-sha384'],
  ])('establishes %s with ESP %s, keys agreeing and traffic flowing', async (ike, esp) => {
    lab = new Lab();
    const p = peers([ike], [esp]);
    const a = await lab.add({
      name: 'a',
      addresses: [A, '2001:db8:a::1'],
      config: { listen: [A], peers: [p.a], rekeyJitter: 0 },
    });
    const b = await lab.add({
      name: 'b',
      addresses: [B, '2001:db8:b::1'],
      config: { listen: [B], peers: [p.b], rekeyJitter: 0 },
    });
    const result = await lab.run(a.ike.initiate('b'));
    expect(result.failures).toEqual([]);
    expect(result.ike.state).toBe('established');
    expect(result.ike.algorithms?.startsWith(ike.split('-')[0]!)).toBe(true);
    const [sa] = a.ike.listSas({ keys: true });
    const [sb] = b.ike.listSas({ keys: true });
    expect(sa?.remoteId).toBe('gw.example.org');
    expect(sb?.remoteId).toBe('alice@example.org');
    expect(sa?.ikeSpi).toBe(sb?.ikeSpi);
    expect(sa?.keys?.skD).toBe(sb?.keys?.skD);
    const ca = sa!.children[0]!;
    const cb = sb!.children[0]!;
    expect(ca.spiOut).toBe(cb.spiIn);
    expect(ca.spiIn).toBe(cb.spiOut);
    expect(ca.keys?.encOut).toBe(cb.keys?.encIn);
    expect(ca.keys?.integOut).toBe(cb.keys?.integIn);
    expect(ca.localTs).toEqual(['2001:db8:a::/48']);
    expect(cb.localTs).toEqual(['2001:db8:b::/48']);
    expect(ca.reqid).toBe(7);
    expect(cb.reqid).toBe(9);
    const sasA = await a.kernel.dumpSas();
    expect(sasA.map((s) => s.state).sort()).toEqual(['mature', 'mature']);
    expect(a.of('ike.sa-established')).toHaveLength(1);
    expect(b.of('ike.child-installed')).toHaveLength(1);
    expect(a.of('ike.exchange').map((e) => [e.exchange, e.messages, e.ok])).toEqual([
      ['IKE_SA_INIT', 2, true],
      ['IKE_AUTH', 2, true],
    ]);
    expect(b.of('ike.exchange').map((e) => [e.exchange, e.initiator])).toEqual([
      ['IKE_SA_INIT', false],
      ['IKE_AUTH', false],
    ]);

    // The kernels' ESP paths agree: a packet protected by A is accepted by B.
    const tunnel = (
      src: string,
      dst: string,
      reqid: number,
      dir: 'in' | 'out',
      from: string,
      to: string,
    ) => ({
      id: {
        selector: {
          src: { addr: src, len: 48 },
          dst: { addr: dst, len: 48 },
          proto: 255,
          srcPort: 0,
          dstPort: 0,
        },
        dir,
      },
      data: {
        action: 'protect' as const,
        priority: 10,
        templates: [
          {
            proto: 'esp' as const,
            mode: 'tunnel' as const,
            level: 'require' as const,
            reqid,
            src: from,
            dst: to,
          },
        ],
      },
    });
    const pa = tunnel('2001:db8:a::', '2001:db8:b::', 7, 'out', A, B);
    const pb = tunnel('2001:db8:a::', '2001:db8:b::', 9, 'in', A, B);
    await a.kernel.addPolicy(pa.id, pa.data);
    await b.kernel.addPolicy(pb.id, pb.data);
    const out = a.pfkey.datapath.output({
      src: '2001:db8:a::1',
      dst: '2001:db8:b::1',
      proto: 17,
      payload: Uint8Array.of(0, 1, 0, 2, 0, 12, 0, 0, 104, 105, 33, 10),
    });
    expect(out.kind).toBe('send');
    const got = b.pfkey.datapath.input((out as { bytes: Uint8Array }).bytes);
    expect(got.kind).toBe('deliver');
  });
});
