/**
 * Proves the interop environment before our daemon is put into it: two charons in two namespaces
 * negotiate IKE_SAs and tunnel-mode CHILD_SAs (PSK over IPv4 with AES-GCM, certificates over IPv6
 * with AES-CBC/HMAC and MODP), and UDP traffic passes through kernel-libipsec's TUN device.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createTestPki, type TestPki } from './certs.js';
import { Charon } from './charon.js';
import { CommandError } from './exec.js';
import { NetnsPair } from './netns.js';
import { describeInterop } from './prereqs.js';
import type { SwanctlConfig } from './swanctl-conf.js';
import type { ChildSaInfo, IkeSaInfo } from './swanctl-output.js';
import { type EchoServer, startUdpEcho, udpRoundTrips } from './traffic.js';

const INNER = { a4: '10.1.0.1', b4: '10.2.0.1', a6: 'fd00:a::1', b6: 'fd00:b::1' };
const PSK = 'interop-harness-psk-0123456789';
const ECHO_PORT = 7777;

/** Asserts what two peers must agree on for one IKE_SA and its CHILD_SA `child`. */
function expectMirrored(a: IkeSaInfo, b: IkeSaInfo, child: string): { ca: ChildSaInfo; cb: ChildSaInfo } {
  expect(a.state).toBe('ESTABLISHED');
  expect(b.state).toBe('ESTABLISHED');
  expect([a.initiatorSpi, a.responderSpi]).toEqual([b.initiatorSpi, b.responderSpi]);
  expect(a.initiator).not.toBe(b.initiator);
  expect([a.localHost, a.remoteHost]).toEqual([b.remoteHost, b.localHost]);
  expect([a.localId, a.remoteId]).toEqual([b.remoteId, b.localId]);
  for (const k of ['encrAlg', 'encrKeysize', 'integAlg', 'prfAlg', 'dhGroup'] as const)
    expect(a[k]).toBe(b[k]);
  const ca = a.children.find((c) => c.name === child && c.state === 'INSTALLED');
  const cb = b.children.find((c) => c.name === child && c.state === 'INSTALLED');
  expect(ca, `CHILD_SA ${child} on a`).toBeDefined();
  expect(cb, `CHILD_SA ${child} on b`).toBeDefined();
  if (!ca || !cb) throw new Error('unreachable');
  expect(ca.spiIn).toBe(cb.spiOut);
  expect(ca.spiOut).toBe(cb.spiIn);
  expect([ca.localTs, ca.remoteTs]).toEqual([cb.remoteTs, cb.localTs]);
  for (const k of ['mode', 'protocol', 'encap', 'encrAlg', 'encrKeysize', 'integAlg', 'esn'] as const) {
    expect(ca[k]).toBe(cb[k]);
  }
  return { ca, cb };
}

describeInterop('charon <-> charon harness (kernel-libipsec in namespaces)', () => {
  let dir: string;
  let pair: NetnsPair;
  let pki: TestPki;
  let a: Charon;
  let b: Charon;
  const echoes: EchoServer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mip6sec-interop-'));
    pair = await NetnsPair.create({
      a: { inner: [INNER.a4, INNER.a6] },
      b: { inner: [INNER.b4, INNER.b6] },
    });
    pki = await createTestPki(dir, [
      { name: 'gw-a', keyType: 'rsa', id: 'gw-a.interop.test' },
      { name: 'gw-b', keyType: 'ecdsa', id: 'gw-b.interop.test' },
    ]);
    [a, b] = await Promise.all([
      Charon.start({ pair, side: 'a', dir: join(dir, 'charon-a') }),
      Charon.start({ pair, side: 'b', dir: join(dir, 'charon-b') }),
    ]);
    for (const [c, me] of [
      [a, 'gw-a'],
      [b, 'gw-b'],
    ] as const) {
      const ee = pki.entities[me]!;
      await c.addCredential('cacert', pki.ca.certPath);
      await c.addCredential('cert', ee.certPath);
      await c.addCredential('key', ee.keyPath);
    }
    const config = (me: 'a' | 'b'): SwanctlConfig => {
      const peer = me === 'a' ? 'b' : 'a';
      const [self, other] = [pair.end(me), pair.end(peer)];
      const [ee, peerEe] = [pki.entities[`gw-${me}`]!, pki.entities[`gw-${peer}`]!];
      return {
        connections: {
          psk4: {
            localAddrs: [self.ipv4],
            remoteAddrs: [other.ipv4],
            proposals: ['aes256gcm16-prfsha384-modp2048'],
            local: { auth: 'psk', id: `${me}@psk.interop.test` },
            remote: { auth: 'psk', id: `${peer}@psk.interop.test` },
            children: {
              net4: {
                localTs: [`${INNER[`${me}4`]}/32`],
                remoteTs: [`${INNER[`${peer}4`]}/32`],
                espProposals: ['aes256gcm16-modp2048'],
              },
            },
          },
          cert6: {
            localAddrs: [self.ipv6],
            remoteAddrs: [other.ipv6],
            proposals: ['aes128-sha256-modp3072'],
            local: { auth: 'pubkey', id: ee.id, certs: [`gw-${me}.pem`] },
            remote: { auth: 'pubkey', id: peerEe.id, cacerts: ['ca.pem'] },
            children: {
              net6: {
                localTs: [`${INNER[`${me}6`]}/128`],
                remoteTs: [`${INNER[`${peer}6`]}/128`],
                espProposals: ['aes128-sha256-modp3072'],
              },
            },
          },
          badpsk4: {
            localAddrs: [self.ipv4],
            remoteAddrs: [other.ipv4],
            proposals: ['aes128gcm16-prfsha256-ecp256'],
            local: { auth: 'psk', id: `${me}@bad.interop.test` },
            remote: { auth: 'psk', id: `${peer}@bad.interop.test` },
            children: {
              bad: { localTs: ['10.99.0.1/32'], remoteTs: ['10.99.0.2/32'], espProposals: ['aes128gcm16'] },
            },
          },
        },
        psks: [
          { ids: ['a@psk.interop.test', 'b@psk.interop.test'], secret: PSK },
          // The two sides disagree on this one, to show how a failure is reported.
          { ids: ['a@bad.interop.test', 'b@bad.interop.test'], secret: `${PSK}-${me}` },
        ],
      };
    };
    await a.configure(config('a'));
    await b.configure(config('b'));
    echoes.push(await startUdpEcho(pair, 'b', INNER.b4, ECHO_PORT));
    echoes.push(await startUdpEcho(pair, 'b', INNER.b6, ECHO_PORT));
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const c of [a, b]) if (c) console.error(await c.diagnostics(120));
    }
  });

  afterAll(async () => {
    for (const e of echoes) e.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await pair?.destroy();
    if (dir && !process.env.MIP6SEC_KEEP_INTEROP) await rm(dir, { recursive: true, force: true });
  });

  it('negotiates a PSK IKE_SA and an AES-GCM tunnel CHILD_SA over IPv4, the same on both sides', async () => {
    await a.initiate('net4', { ike: 'psk4' });
    const sa = await a.waitEstablished('psk4', 'net4');
    const sb = await b.waitEstablished('psk4', 'net4');
    const { ca } = expectMirrored(sa, sb, 'net4');
    expect(sa).toMatchObject({
      initiator: true,
      localHost: pair.a.ipv4,
      remoteHost: pair.b.ipv4,
      localId: 'a@psk.interop.test',
      encrAlg: 'AES_GCM_16',
      encrKeysize: 256,
      prfAlg: 'PRF_HMAC_SHA2_384',
      dhGroup: 'MODP_2048',
    });
    expect(sa.integAlg).toBeUndefined();
    // kernel-libipsec fakes a NAT so ESP is UDP-encapsulated and IKE floats to 4500.
    expect([sa.localPort, sa.remotePort]).toEqual([4500, 4500]);
    expect(ca).toMatchObject({ mode: 'TUNNEL', protocol: 'ESP', encap: true, encrAlg: 'AES_GCM_16' });
    expect([ca.localTs, ca.remoteTs]).toEqual([[`${INNER.a4}/32`], [`${INNER.b4}/32`]]);
    expect(ca.spiIn).toMatch(/^[0-9a-f]{8}$/);
  });

  it('carries UDP between the inner IPv4 addresses through the libipsec TUN device', async () => {
    const before = (await b.waitEstablished('psk4', 'net4')).children.find((c) => c.state === 'INSTALLED')!;
    const result = await udpRoundTrips(pair, 'a', INNER.a4, INNER.b4, ECHO_PORT, 3);
    expect(result).toEqual({ sent: 3, received: 3 });
    const route = await pair.ip('a', ['route', 'get', INNER.b4, 'from', INNER.a4]);
    expect(route.stdout).toMatch(/dev ipsec\d+/);
    const after = (await b.waitEstablished('psk4', 'net4')).children.find((c) => c.spiIn === before.spiIn)!;
    expect(after.packetsIn - before.packetsIn).toBe(3);
    expect(after.packetsOut - before.packetsOut).toBe(3);
  });

  it('authenticates with RSA and ECDSA certificates over IPv6 with AES-CBC, HMAC-SHA2 and MODP-3072', async () => {
    await b.initiate('net6', { ike: 'cert6' });
    const sa = await a.waitEstablished('cert6', 'net6');
    const sb = await b.waitEstablished('cert6', 'net6');
    const { ca } = expectMirrored(sa, sb, 'net6');
    expect(sa).toMatchObject({
      initiator: false,
      localHost: pair.a.ipv6,
      remoteHost: pair.b.ipv6,
      localId: 'gw-a.interop.test',
      remoteId: 'gw-b.interop.test',
      encrAlg: 'AES_CBC',
      encrKeysize: 128,
      integAlg: 'HMAC_SHA2_256_128',
      prfAlg: 'PRF_HMAC_SHA2_256',
      dhGroup: 'MODP_3072',
    });
    expect(ca).toMatchObject({ encrAlg: 'AES_CBC', integAlg: 'HMAC_SHA2_256_128' });
    expect(await udpRoundTrips(pair, 'a', INNER.a6, INNER.b6, ECHO_PORT, 2)).toEqual({
      sent: 2,
      received: 2,
    });
    const log = await b.log();
    expect(log).toMatch(/authentication of 'gw-a\.interop\.test' with RSA.* successful/);
    expect(log).toMatch(/authentication of 'gw-b\.interop\.test' \(myself\) with ECDSA/);
  });

  it('rekeys the CHILD_SA with PFS: new SPIs on both sides, old ones gone, traffic still passes', async () => {
    const old = (await a.waitEstablished('psk4', 'net4')).children.find((c) => c.state === 'INSTALLED')!;
    await a.rekey({ child: 'net4' });
    const [sa, sb] = await Promise.all(
      [a, b].map((c) =>
        c.waitForSas('net4 rekeyed, old CHILD_SA deleted', (sas) => {
          const ike = sas.find((s) => s.name === 'psk4');
          const kids = ike?.children ?? [];
          const fresh = kids.find(
            (k) => k.state === 'INSTALLED' && k.spiIn !== old.spiIn && k.spiOut !== old.spiIn,
          );
          const stale = kids.some((k) => [old.spiIn, old.spiOut].includes(k.spiIn));
          return fresh && !stale ? ike : undefined;
        }),
      ),
    );
    const { ca } = expectMirrored(sa!, sb!, 'net4');
    expect(ca.dhGroup).toBe('MODP_2048');
    expect(await udpRoundTrips(pair, 'a', INNER.a4, INNER.b4, ECHO_PORT, 2)).toEqual({
      sent: 2,
      received: 2,
    });
  });

  it('reports a failed negotiation with the reason and charon log lines', async () => {
    const failure = await a.initiate('bad', { ike: 'badpsk4', timeoutS: 10 }).then(
      () => new Error('initiate succeeded with mismatched PSKs'),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(CommandError);
    expect((failure as CommandError).message).toMatch(/AUTHENTICATION_FAILED/);
    expect((failure as CommandError).message).toMatch(/charon a log/);
    expect(await b.log()).toMatch(
      /tried 1 shared key for 'b@bad\.interop\.test' - 'a@bad\.interop\.test', but MAC mismatched/,
    );
    expect((await a.listSas()).some((s) => s.name === 'badpsk4')).toBe(false);
  });

  it('deletes an IKE_SA with its CHILD_SA on both sides when one side terminates it', async () => {
    await b.terminate({ ike: 'psk4' });
    for (const c of [a, b]) {
      await c.waitForSas('IKE_SA psk4 gone', (sas) =>
        sas.some((s) => s.name === 'psk4') ? undefined : true,
      );
    }
    // The other IKE_SA is untouched.
    expect((await a.listSas()).map((s) => s.name)).toEqual(['cert6']);
  });
});
