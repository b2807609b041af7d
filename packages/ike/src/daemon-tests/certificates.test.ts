import { createCryptoProvider } from '@mip6sec/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { certificateAuthenticator } from '../auth/certificate.js';
import { caKeyHash, parseCertificate } from '../auth/x509.js';
import { fromHex, toHex } from '../bytes.js';
import { AUTH_METHOD, EXCHANGE, NOTIFY } from '../constants.js';
import { parseProposal, suiteOf, toProposals } from '../crypto/proposals.js';
import { SkCipher } from '../crypto/sk-cipher.js';
import { decodeMessage } from '../message.js';
import type { Payload } from '../payloads/types.js';
import { Lab } from '../test-support/harness.js';
import { agreed, ikeBytes, pair } from '../test-support/peers.js';
import { type Issued, skipWithoutOpenssl, TestPki } from '../test-support/pki.js';

const skip = skipWithoutOpenssl();

describe.skipIf(skip)('IKE_AUTH with X.509 certificates between two daemons', () => {
  let pki: TestPki;
  let root: Issued;
  let alice: Issued;
  let gw: Issued;
  let mallory: Issued;
  let fakeGw: Issued;
  let lab: Lab;
  // The lab's virtual clock starts at 1e6 ms; certificates are checked at that Unix time.
  const epoch = () => Date.now() - 1_000_000;

  beforeAll(async () => {
    pki = await TestPki.create();
    root = await pki.root('root', 'p256', '/O=mip6sec/CN=Test Root');
    await pki.root('other', 'rsa', '/O=elsewhere/CN=Other Root');
    alice = await pki.issue('alice', 'root', {
      subject: '/O=mip6sec/CN=alice',
      key: 'rsa',
      san: ['email:alice@example.org'],
    });
    gw = await pki.issue('gw', 'root', {
      subject: '/O=mip6sec/CN=gw',
      key: 'p256',
      san: ['DNS:gw.example.org'],
    });
    // Same identity as alice, but a CA nobody here trusts.
    mallory = await pki.issue('mallory', 'other', {
      subject: '/O=mip6sec/CN=alice',
      key: 'p256',
      san: ['email:alice@example.org'],
    });
    fakeGw = await pki.issue('fakegw', 'other', {
      subject: '/O=mip6sec/CN=gw',
      key: 'p256',
      san: ['DNS:gw.example.org'],
    });
  }, 60_000);
  afterAll(async () => pki?.dispose());
  afterEach(async () => lab?.stop());

  const certs = (who: Issued, ca: Issued = root, extra: object = {}) => ({
    auth: { cert: who.certPem, key: who.keyPem, ca: [ca.certPem], epoch: epoch(), ...extra },
  });

  /** Opens the IKE_AUTH messages of the capture with the keys the initiator lists. */
  function authPayloads(): { request: Payload[]; response: Payload[] } {
    const sa = lab.hosts.get('a')!.ike.listSas({ keys: true })[0]!;
    const k = sa.keys!;
    const suite = suiteOf(
      toProposals([parseProposal('aes128-sha256-modp2048', 'ike')], new Uint8Array(0))[0]!,
    );
    const out: Payload[][] = [];
    for (const c of lab.net.captured) {
      const bytes = ikeBytes(c.datagram);
      const m = decodeMessage(bytes);
      if (m.exchange !== EXCHANGE.IKE_AUTH) continue;
      const keys = m.initiator
        ? { enc: fromHex(k.skEi), integ: fromHex(k.skAi) }
        : { enc: fromHex(k.skEr), integ: fromHex(k.skAr) };
      out.push(new SkCipher(createCryptoProvider(), suite, keys).open(bytes, m));
    }
    return { request: out[0]!, response: out[1]! };
  }

  it('authenticates RSA against ECDSA with RFC 7427 signatures, CERT and CERTREQ', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      ikeA: ['aes256gcm16-prfsha256-ecp256'],
      ikeB: ['aes256gcm16-prfsha256-ecp256'],
      peerA: certs(alice),
      peerB: certs(gw),
    });
    const r = await lab.run(a.ike.initiate('b'));
    expect(r.failures).toEqual([]);
    expect(agreed(a, b)).toBe(true);
    expect(a.ike.listSas()[0]).toMatchObject({ localId: 'alice@example.org', remoteId: 'gw.example.org' });
    expect(b.ike.listSas()[0]).toMatchObject({ localId: 'gw.example.org', remoteId: 'alice@example.org' });
    // IKE_SA_INIT carried SIGNATURE_HASH_ALGORITHMS both ways and CERTREQ from the responder.
    const init = lab.net.captured.slice(0, 2).map((c) => decodeMessage(ikeBytes(c.datagram)));
    for (const m of init)
      expect(m.payloads.some((p) => p.kind === 'N' && p.notify === NOTIFY.SIGNATURE_HASH_ALGORITHMS)).toBe(
        true,
      );
    const rootHash = toHex(caKeyHash(parseCertificate(root.certDer)));
    const certreq = init[1]!.payloads.find((p) => p.kind === 'CERTREQ');
    expect(certreq?.kind === 'CERTREQ' && toHex(certreq.data)).toBe(rootHash);
  });

  it('shows the payloads on the wire: CERT, CERTREQ and AUTH method 14', async () => {
    lab = new Lab();
    const { a } = await pair(lab, {
      ikeA: ['aes128-sha256-modp2048'],
      ikeB: ['aes128-sha256-modp2048'],
      // Whole messages on the wire (fragments are fragmentation.test.ts's).
      daemonA: { fragmentation: false },
      peerA: certs(alice),
      peerB: certs(gw),
    });
    await lab.run(a.ike.initiate('b'));
    const { request, response } = authPayloads();
    expect(request.map((p) => p.kind).slice(0, 4)).toEqual(['IDi', 'CERT', 'CERTREQ', 'N']);
    expect(request.find((p) => p.kind === 'CERT')).toMatchObject({ encoding: 4, data: alice.certDer });
    expect(request.find((p) => p.kind === 'AUTH')).toMatchObject({ method: AUTH_METHOD.DIGITAL_SIGNATURE });
    expect(response.find((p) => p.kind === 'CERT')).toMatchObject({ encoding: 4, data: gw.certDer });
    const auth = response.find((p) => p.kind === 'AUTH');
    expect(auth?.kind === 'AUTH' && toHex(auth.data.subarray(0, 13))).toBe('0c300a06082a8648ce3d040302');
  });

  it('defaults to the subject DN as identity and matches a DN pattern', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      peerA: { ...certs(alice), localId: undefined, remoteId: 'O=mip6sec, CN=gw' },
      peerB: { ...certs(gw), localId: undefined, remoteId: '/O=mip6sec/CN=alice' },
    });
    await lab.run(a.ike.initiate('b'));
    expect(a.ike.listSas()[0]).toMatchObject({
      localId: 'O=mip6sec, CN=alice',
      remoteId: 'O=mip6sec, CN=gw',
    });
    expect(b.ike.listSas()[0]?.remoteId).toBe('O=mip6sec, CN=alice');
  });

  it('mixes a PSK on one side with a certificate on the other', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, {
      peerA: { auth: { psk: 'mixed secret' }, remoteAuth: { ca: root.certPem, epoch: epoch() } },
      peerB: { ...certs(gw), remoteAuth: { psk: 'mixed secret' } },
    });
    await lab.run(a.ike.initiate('b'));
    expect(agreed(a, b)).toBe(true);
  });

  /** The responder refused: nothing is left on it, and the initiator's initiate() rejects. */
  async function refusedByResponder(o: Parameters<typeof pair>[1], why: RegExp) {
    lab = new Lab();
    const { a, b } = await pair(lab, o);
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(await a.kernel.dumpSas()).toEqual([]);
    expect(b.of('ike.sa-established')).toEqual([]);
    const last = b.ike.errors.at(-1)?.error as Error | undefined;
    expect(last?.message).toMatch(why);
    // The responder said AUTHENTICATION_FAILED in the IKE_AUTH response (RFC 7296 section 2.21.2).
    expect(b.of('ike.exchange').map((e) => [e.exchange, e.ok])).toEqual([
      ['IKE_SA_INIT', true],
      ['IKE_AUTH', false],
    ]);
  }

  it('refuses an identity the certificate does not bind (AUTHENTICATION_FAILED, no state left)', async () => {
    const honest = certificateAuthenticator({
      cert: alice.certPem,
      key: alice.keyPem,
      ca: root.certPem,
      epoch: epoch(),
    });
    await refusedByResponder(
      // A plain function hides bindsIdentity, so the configuration check cannot catch the lie.
      {
        peerA: { auth: { authenticator: (ctx) => honest(ctx) }, localId: 'bob@example.org' },
        peerB: { ...certs(gw), remoteId: '%any' },
      },
      /does not bind the identity bob@example\.org/,
    );
  });

  it('refuses a signature made with another key than the certificate', async () => {
    const shown = certificateAuthenticator({
      cert: alice.certPem,
      key: alice.keyPem,
      ca: root.certPem,
      epoch: epoch(),
    });
    const signer = certificateAuthenticator({
      cert: mallory.certPem,
      key: mallory.keyPem,
      ca: root.certPem,
      epoch: epoch(),
    });
    await refusedByResponder(
      {
        peerA: {
          auth: { authenticator: (ctx) => ({ ...signer(ctx), certificates: shown(ctx).certificates! }) },
        },
        peerB: certs(gw),
      },
      /does not (verify|fit)/,
    );
  });

  it('refuses a certificate from an untrusted CA, and an expired one', async () => {
    await refusedByResponder({ peerA: certs(mallory, root), peerB: certs(gw) }, /no trusted CA/);
    await lab.stop();
    await refusedByResponder(
      { peerA: certs(alice), peerB: { auth: { ...certs(gw).auth, epoch: epoch() + 3 * 86_400_000 } } },
      /expired/,
    );
  });

  it('initiator refuses the responder: tells it AUTHENTICATION_FAILED and both forget the SA', async () => {
    lab = new Lab();
    const { a, b } = await pair(lab, { peerA: certs(alice, root), peerB: certs(fakeGw, root) });
    // b's certificate names gw.example.org but chains to a CA a does not trust.
    await expect(lab.run(a.ike.initiate('b'))).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await lab.advance(1000);
    expect(a.ike.listSas()).toEqual([]);
    expect(b.ike.listSas()).toEqual([]);
    expect(await b.kernel.dumpSas()).toEqual([]);
    expect(b.of('ike.sa-deleted').at(-1)?.reason).toBe('peer reported AUTHENTICATION_FAILED');
    expect(String(a.ike.errors.at(-1)?.error)).toMatch(/no trusted CA/);
  });

  it('refuses configurations whose certificate does not hold the identity or lacks a CA', async () => {
    lab = new Lab();
    await expect(pair(lab, { peerA: { ...certs(alice), localId: 'bob@example.org' } })).rejects.toThrow(
      /names neither subject nor subjectAltName bob@example\.org/,
    );
    await expect(pair(lab, { peerA: { auth: { cert: alice.certPem, key: alice.keyPem } } })).rejects.toThrow(
      /need a ca/,
    );
    await expect(pair(lab, { peerA: { auth: { ca: root.certPem } } })).rejects.toThrow(
      /cannot authenticate us/,
    );
  });
});
