/** Configurations of an initiator `a` and a responder `b` used across the daemon tests. */
import type { ChildConfig, IkeDaemonConfig, PeerConfig } from '../config.js';
import type { Lab, TestHost } from './harness.js';

export const A = '2001:db8::a';
export const B = '2001:db8::b';
export const PSK = 'correct horse battery staple';

export interface PairOptions {
  readonly ikeA?: string[];
  readonly ikeB?: string[];
  readonly espA?: string[];
  readonly espB?: string[];
  readonly childA?: Partial<ChildConfig>;
  readonly childB?: Partial<ChildConfig>;
  readonly peerA?: Partial<PeerConfig>;
  readonly peerB?: Partial<PeerConfig>;
  readonly daemonA?: Partial<IkeDaemonConfig>;
  readonly daemonB?: Partial<IkeDaemonConfig>;
  readonly addressesA?: string[];
  readonly addressesB?: string[];
}

export async function pair(lab: Lab, o: PairOptions = {}): Promise<{ a: TestHost; b: TestHost }> {
  const ike = ['aes128-sha256-modp2048'];
  const a = await lab.add({
    name: 'a',
    addresses: o.addressesA ?? [A, '2001:db8:a::1'],
    config: {
      listen: [A],
      rekeyJitter: 0,
      ...o.daemonA,
      peers: [
        {
          name: 'b',
          local: A,
          remote: B,
          localId: 'alice@example.org',
          remoteId: 'gw.example.org',
          auth: { psk: PSK },
          ike: o.ikeA ?? ike,
          children: [
            {
              name: 'net',
              esp: o.espA ?? ['aes128gcm16'],
              localTs: ['2001:db8:a::/48'],
              remoteTs: ['2001:db8:b::/48'],
              reqid: 7,
              ...o.childA,
            },
          ],
          ...o.peerA,
        },
      ],
    },
  });
  const b = await lab.add({
    name: 'b',
    addresses: o.addressesB ?? [B, '2001:db8:b::1'],
    config: {
      listen: [B],
      rekeyJitter: 0,
      ...o.daemonB,
      peers: [
        {
          name: 'a',
          localId: 'gw.example.org',
          remoteId: 'alice@example.org',
          auth: { psk: PSK },
          ike: o.ikeB ?? ike,
          children: [
            {
              name: 'net',
              esp: o.espB ?? ['aes128gcm16'],
              localTs: ['2001:db8:b::/48'],
              remoteTs: ['2001:db8:a::/48'],
              reqid: 9,
              ...o.childB,
            },
          ],
          ...o.peerB,
        },
      ],
    },
  });
  return { a, b };
}

/** Both ends' views of their one IKE SA agree: same SPIs, mirrored CHILD_SA SPIs and keys. */
export function agreed(a: TestHost, b: TestHost): boolean {
  const la = a.ike.listSas({ keys: true });
  const lb = b.ike.listSas({ keys: true });
  if (la.length !== 1 || lb.length !== 1) return false;
  const [x, y] = [la[0]!, lb[0]!];
  if (
    x.ikeSpi !== y.ikeSpi ||
    x.keys?.skD !== y.keys?.skD ||
    x.state !== 'established' ||
    y.state !== 'established'
  )
    return false;
  if (x.children.length !== y.children.length) return false;
  return x.children.every((c) => {
    const d = y.children.find((z) => z.spiIn === c.spiOut);
    return (
      d !== undefined &&
      d.spiOut === c.spiIn &&
      d.keys?.encIn === c.keys?.encOut &&
      d.keys?.encOut === c.keys?.encIn
    );
  });
}

/** The IKE message of a captured datagram (the non-ESP marker stripped on port 4500). */
export function ikeBytes(d: { data: Uint8Array; dst: { port: number } }): Uint8Array {
  return d.dst.port === 4500 ? d.data.subarray(4) : d.data;
}
