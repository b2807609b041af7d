import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../bytes.js';
import { AUTH_METHOD, CERT_ENCODING, HASH_ALGORITHM, ID_TYPE } from '../constants.js';
import { formatIdentity, parseIdentity } from '../identity.js';
import type { CertPayload } from '../payloads/types.js';
import { type Issued, skipWithoutOpenssl, TestPki } from '../test-support/pki.js';
import { children, readOnly } from './asn1.js';
import type { AuthContext } from './authenticator.js';
import { certificateAuthenticator } from './certificate.js';
import { decodeDn, encodeDn, formatDn, parseDn } from './dn.js';
import {
  chooseScheme,
  SIGNATURE_SCHEMES,
  SUPPORTED_HASHES,
  schemeOf,
  signAuth,
  verifyAuth,
} from './signature.js';
import {
  caKeyHash,
  certificateBinds,
  certificateIdentities,
  loadCertificates,
  loadPrivateKey,
  parseCertificate,
  validateChain,
} from './x509.js';

const skip = skipWithoutOpenssl();
const scheme = (name: string) => SIGNATURE_SCHEMES.find((s) => s.name === name)!;

describe('RFC 7427 AlgorithmIdentifiers (Appendix A)', () => {
  it.each([
    ['rsa-pkcs1-sha256', '300d06092a864886f70d01010b0500'],
    ['rsa-pkcs1-sha384', '300d06092a864886f70d01010c0500'],
    ['rsa-pkcs1-sha512', '300d06092a864886f70d01010d0500'],
    ['ecdsa-sha256', '300a06082a8648ce3d040302'],
    ['ecdsa-sha384', '300a06082a8648ce3d040303'],
    ['ecdsa-sha512', '300a06082a8648ce3d040304'],
    ['ed25519', '300506032b6570'],
  ])('%s is %s', (name, hex) => {
    expect(toHex(scheme(name).algorithmId)).toBe(hex);
    expect(schemeOf(fromHex(hex))?.name).toBe(name);
  });

  it('reads RSASSA-PSS parameters, with or without the default trailer field, and refuses others', () => {
    const pss = scheme('rsa-pss-sha256').algorithmId;
    expect(schemeOf(pss)?.name).toBe('rsa-pss-sha256');
    // The same with trailerField [3] INTEGER 1 spelled out.
    const body = children(readOnly(pss).value);
    const params = readOnly(body[1]!.raw);
    const withTrailer = fromHex(`3046${toHex(body[0]!.raw)}3039${toHex(params.value)}a303020101`);
    expect(schemeOf(withTrailer)?.name).toBe('rsa-pss-sha256');
    // Salt 20 with SHA-256 is not a scheme we accept.
    const hex = toHex(pss);
    expect(schemeOf(fromHex(hex.replace(/a203020120$/, 'a203020114')))).toBeUndefined();
    // Empty parameters mean SHA-1 (RFC 4055): refused.
    expect(schemeOf(fromHex('300b06092a864886f70d01010a'))).toBeUndefined();
    // SHA-1 with RSA is not taken either, nor garbage.
    expect(schemeOf(fromHex('300d06092a864886f70d0101050500'))).toBeUndefined();
    expect(schemeOf(fromHex('3003'))).toBeUndefined();
    // ECDSA with an explicit NULL still names the same algorithm.
    expect(schemeOf(fromHex('300c06082a8648ce3d0403020500'))?.name).toBe('ecdsa-sha256');
  });

  it('picks a hash the peer announced, preferring the curve hash, and nothing when none fits', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const all = SUPPORTED_HASHES;
    expect(chooseScheme(p384, all)?.name).toBe('ecdsa-sha384');
    expect(chooseScheme(p384, [HASH_ALGORITHM.SHA2_256])?.name).toBe('ecdsa-sha256');
    expect(chooseScheme(rsa, all)?.name).toBe('rsa-pkcs1-sha256');
    expect(chooseScheme(rsa, all, { rsaPss: true, hashes: ['sha512'] })?.name).toBe('rsa-pss-sha512');
    expect(chooseScheme(rsa, [HASH_ALGORITHM.SHA1])).toBeUndefined();
    expect(chooseScheme(rsa, [])).toBeUndefined();
  });

  it('signs and verifies every scheme, and the legacy methods; refuses tampering and mismatches', () => {
    const keys = {
      rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      p521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
      ed: generateKeyPairSync('ed25519'),
    };
    const octets = new TextEncoder().encode('RealMessage | Nonce | MACedID');
    const other = concat(octets, Uint8Array.of(0));
    const forScheme = (s: (typeof SIGNATURE_SCHEMES)[number]) =>
      s.key === 'rsa'
        ? keys.rsa
        : s.key === 'ed25519'
          ? keys.ed
          : s.hash === 'sha384'
            ? keys.p384
            : keys.p256;
    for (const s of SIGNATURE_SCHEMES) {
      const k = forScheme(s);
      const { method, data } = signAuth(k.privateKey, octets, s);
      expect(method).toBe(AUTH_METHOD.DIGITAL_SIGNATURE);
      expect(data[0]).toBe(s.algorithmId.length);
      expect(verifyAuth(k.publicKey, method, data, octets), s.name).toEqual({ ok: true, scheme: s.name });
      expect(verifyAuth(k.publicKey, method, data, other).ok, s.name).toBe(false);
      // A hash we did not announce is refused even with a good signature.
      expect(verifyAuth(k.publicKey, method, data, octets, [HASH_ALGORITHM.SHA1]).ok).toBe(false);
    }
    const ecdsaOnRsa = signAuth(keys.p256.privateKey, octets, scheme('ecdsa-sha256'));
    expect(verifyAuth(keys.rsa.publicKey, 14, ecdsaOnRsa.data, octets)).toMatchObject({ ok: false });
    for (const [k, method, size] of [
      [keys.rsa, AUTH_METHOD.RSA_DIGITAL_SIGNATURE, 256],
      [keys.p256, AUTH_METHOD.ECDSA_SHA256_P256, 64],
      [keys.p384, AUTH_METHOD.ECDSA_SHA384_P384, 96],
      [keys.p521, AUTH_METHOD.ECDSA_SHA512_P521, 132],
    ] as const) {
      const sig = signAuth(k.privateKey, octets, undefined);
      expect(sig.method).toBe(method);
      expect(sig.data.length).toBe(size);
      expect(verifyAuth(k.publicKey, method, sig.data, octets).ok).toBe(true);
      expect(verifyAuth(k.publicKey, method, sig.data, other).ok).toBe(false);
    }
    // Method 9 with a P-384 key, and a truncated method 14 blob.
    const p384sig = signAuth(keys.p384.privateKey, octets, undefined);
    expect(verifyAuth(keys.p384.publicKey, 9, p384sig.data, octets).ok).toBe(false);
    expect(verifyAuth(keys.p256.publicKey, 14, Uint8Array.of(40, 1, 2), octets).ok).toBe(false);
    expect(verifyAuth(keys.p256.publicKey, 2, Uint8Array.of(1), octets).ok).toBe(false);
    expect(() => signAuth(keys.ed.privateKey, octets, undefined)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});

describe('distinguished names', () => {
  it('parses both text forms to the same DER and prints it back', () => {
    const a = parseDn('C=CH, O=strongSwan Project, CN=moon.strongswan.org')!;
    const b = parseDn('/C=CH/O=strongSwan Project/CN=moon.strongswan.org')!;
    expect(encodeDn(a)).toEqual(encodeDn(b));
    expect(formatDn(decodeDn(encodeDn(a)))).toBe('C=CH, O=strongSwan Project, CN=moon.strongswan.org');
    expect(formatDn(parseDn('CN=a\\, b, E=x@y')!)).toBe('CN=a\\, b, E=x@y');
    expect(parseDn('moon.strongswan.org')).toBeUndefined();
    expect(parseDn('user@example.org')).toBeUndefined();
    expect(() => parseDn('CN=x, nonsense')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('is an identity type of its own, matched attribute by attribute', () => {
    const id = parseIdentity('O=mip6sec, CN=gw.example.org');
    expect(id.idType).toBe(ID_TYPE.ID_DER_ASN1_DN);
    expect(formatIdentity(id)).toBe('O=mip6sec, CN=gw.example.org');
    expect(parseIdentity(`asn1dn:#${toHex(id.data)}`)).toEqual(id);
    expect(parseIdentity('asn1dn:/O=mip6sec/CN=gw.example.org')).toEqual(id);
    expect(() => parseIdentity('asn1dn:#3003')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe.skipIf(skip)('X.509 certificates made by openssl', () => {
  let pki: TestPki;
  let root: Issued;
  let otherRoot: Issued;
  let inter: Issued;
  let gw: Issued;
  let mn: Issued;
  let viaInter: Issued;

  beforeAll(async () => {
    pki = await TestPki.create();
    root = await pki.root('root', 'p256', '/O=mip6sec/CN=Test Root');
    otherRoot = await pki.root('other', 'p256', '/O=elsewhere/CN=Other Root');
    inter = await pki.issue('inter', 'root', { subject: '/O=mip6sec/CN=Intermediate', key: 'rsa', ca: true });
    gw = await pki.issue('gw', 'root', {
      subject: '/O=mip6sec/CN=gw.example.org',
      key: 'rsa',
      san: ['DNS:gw.example.org', 'IP:2001:db8::b', 'IP:192.0.2.1'],
    });
    mn = await pki.issue('mn', 'root', {
      subject: '/C=CH/O=mip6sec/CN=mn1',
      key: 'p384',
      san: ['email:mn1@example.org', 'DNS:mn1.example.org'],
    });
    viaInter = await pki.issue('leaf', 'inter', {
      subject: '/O=mip6sec/CN=leaf',
      key: 'p256',
      san: ['DNS:leaf.example.org'],
    });
  }, 60_000);
  afterAll(async () => pki?.dispose());

  it('loads PEM (several blocks) and DER, and keys in PEM and DER', () => {
    const both = loadCertificates(gw.certPem + root.certPem);
    expect(both.map((c) => formatDn(c.subject))).toEqual([
      'O=mip6sec, CN=gw.example.org',
      'O=mip6sec, CN=Test Root',
    ]);
    expect(loadCertificates(gw.certDer)[0]!.der).toEqual(gw.certDer);
    expect(loadCertificates(new TextEncoder().encode(gw.certPem))[0]!.der).toEqual(gw.certDer);
    const k1 = loadPrivateKey(gw.keyPem);
    const k2 = loadPrivateKey(gw.keyDer);
    expect(k1.asymmetricKeyType).toBe('rsa');
    expect(k2.export({ format: 'der', type: 'pkcs8' })).toEqual(k1.export({ format: 'der', type: 'pkcs8' }));
    expect(() => loadCertificates('not a certificate')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => loadCertificates(Uint8Array.of(0x30, 0x03, 1, 2, 3))).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => loadPrivateKey(Uint8Array.of(1, 2, 3))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('reads subject and subjectAltNames and binds exactly those identities', () => {
    const c = parseCertificate(gw.certDer);
    expect(c.altNames.map((a) => `${a.type}:${typeof a.value === 'string' ? a.value : ''}`)).toEqual([
      'dns:gw.example.org',
      'ip:2001:db8::b',
      'ip:192.0.2.1',
    ]);
    expect(certificateIdentities(c).map(formatIdentity)).toEqual([
      'O=mip6sec, CN=gw.example.org',
      'gw.example.org',
      '2001:db8::b',
      '192.0.2.1',
    ]);
    for (const ok of [
      'gw.example.org',
      'GW.Example.ORG',
      '2001:db8::b',
      '192.0.2.1',
      '/O=mip6sec/CN=gw.example.org',
    ])
      expect(certificateBinds(c, parseIdentity(ok)), ok).toBe(true);
    for (const no of [
      'other.example.org',
      'gw.example.org.',
      '2001:db8::c',
      'gw@example.org',
      'O=mip6sec, CN=other',
      'keyid:01',
    ])
      expect(certificateBinds(c, parseIdentity(no)), no).toBe(false);
    const m = parseCertificate(mn.certDer);
    expect(certificateBinds(m, parseIdentity('mn1@example.org'))).toBe(true);
    expect(certificateBinds(m, parseIdentity('email:MN1@example.org'))).toBe(true);
    expect(certificateBinds(m, parseIdentity('fqdn:mn1@example.org'))).toBe(false);
    expect(certificateBinds(m, parseIdentity('C=CH, O=mip6sec, CN=mn1'))).toBe(true);
  });

  it('hashes a CA public key for CERTREQ as openssl does (SHA-1 of the SubjectPublicKeyInfo)', () => {
    const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], {
      input: execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: root.certPem }),
    });
    expect(toHex(caKeyHash(parseCertificate(root.certDer)))).toBe(
      createHash('sha1').update(spki).digest('hex'),
    );
  });

  it('validates chains: direct, through an intermediate in any order, and refuses the rest', () => {
    const now = Date.now();
    const anchors = [parseCertificate(root.certDer)];
    const [g, r, i, l, o] = [gw, root, inter, viaInter, otherRoot].map((x) => parseCertificate(x.certDer));
    expect(validateChain([g!], anchors, now)).toHaveLength(2);
    expect(validateChain([l!, i!], anchors, now).map((c) => formatDn(c.subject))).toEqual([
      'O=mip6sec, CN=leaf',
      'O=mip6sec, CN=Intermediate',
      'O=mip6sec, CN=Test Root',
    ]);
    expect(validateChain([l!, g!, i!], anchors, now)).toHaveLength(3);
    const refused = (chain: typeof anchors, as: typeof anchors, at = now) =>
      expect(() => validateChain(chain, as, at)).toThrow(
        expect.objectContaining({ code: 'AUTHENTICATION_FAILED' }),
      );
    refused([l!], anchors); // intermediate missing
    refused([g!], [o!]); // another CA
    refused([g!, r!], [o!]); // a root sent by the peer is not trusted for being sent
    refused([l!, g!], anchors); // an end entity cannot issue
    refused([g!], anchors, now + 3 * 86_400_000); // expired
    refused([g!], anchors, now - 86_400_000); // not yet valid
    refused([], anchors);
    expect(validateChain([g!], [g!], now)).toHaveLength(1); // pinned
  });

  it('takes signatures made by openssl, and signs what openssl verifies', () => {
    const octets = new TextEncoder().encode('octets signed for AUTH');
    const file = join(pki.dir, 'octets.bin');
    writeFileSync(file, octets);
    const keyFile = join(pki.dir, 'mn.key');
    const ossl = new Uint8Array(execFileSync('openssl', ['dgst', '-sha384', '-sign', keyFile, file]));
    const pub = parseCertificate(mn.certDer).publicKey;
    const data = concat(
      Uint8Array.of(scheme('ecdsa-sha384').algorithmId.length),
      scheme('ecdsa-sha384').algorithmId,
      ossl,
    );
    expect(verifyAuth(pub, 14, data, octets)).toEqual({ ok: true, scheme: 'ecdsa-sha384' });
    const ours = signAuth(loadPrivateKey(gw.keyPem), octets, scheme('rsa-pss-sha256'));
    const sigFile = join(pki.dir, 'sig.bin');
    writeFileSync(sigFile, ours.data.subarray(1 + ours.data[0]!));
    const pubFile = join(pki.dir, 'gw.pub');
    writeFileSync(pubFile, execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: gw.certPem }));
    const out = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-verify',
      pubFile,
      '-signature',
      sigFile,
      file,
    ]).toString();
    expect(out).toContain('Verified OK');
  });

  it('reads the RSASSA-PSS AlgorithmIdentifier of a certificate openssl signed with PSS', async () => {
    const pss = await pki.root('pssroot', 'rsa', '/O=mip6sec/CN=PSS Root');
    const csr = join(pki.dir, 'p.csr');
    execFileSync('openssl', ['req', '-new', '-key', join(pki.dir, 'gw.key'), '-subj', '/CN=p', '-out', csr]);
    const pem = execFileSync('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      join(pki.dir, 'pssroot.pem'),
      '-CAkey',
      join(pki.dir, 'pssroot.key'),
      '-set_serial',
      '99',
      '-sha256',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-sigopt',
      'rsa_mgf1_md:sha256',
    ]).toString();
    const der = loadCertificates(pem)[0]!.der;
    const [, sigAlg] = children(readOnly(der).value);
    expect(schemeOf(sigAlg!.raw)?.name).toBe('rsa-pss-sha256');
    expect(pss.subject).toBe('/O=mip6sec/CN=PSS Root');
  });

  describe('the certificate authenticator', () => {
    const ctx = (over: Partial<AuthContext> = {}): AuthContext => ({
      crypto: undefined as never,
      prfAlgorithm: 'hmac-sha2-256',
      prf: () => new Uint8Array(0),
      localId: '',
      remoteId: '',
      now: () => Date.now(),
      peerSignatureHashes: SUPPORTED_HASHES,
      ...over,
    });
    const octets = new TextEncoder().encode('InitiatorSignedOctets');
    const idOf = (text: string) => ({ kind: 'IDi' as const, ...parseIdentity(text) });

    async function exchange(
      signer: ReturnType<typeof certificateAuthenticator>,
      verifier: ReturnType<typeof certificateAuthenticator>,
      id: string,
      c: AuthContext = ctx(),
    ) {
      const s = signer(c);
      const auth = { kind: 'AUTH' as const, method: s.method, data: await s.sign(octets) };
      return {
        auth,
        certs: s.certificates!(),
        ok: () => verifier(c).verify(octets, auth, idOf(id), s.certificates!()),
      };
    }

    it('signs with Auth Method 14 when the peer announced hashes, else with the legacy method', async () => {
      const me = certificateAuthenticator({ cert: mn.certPem, key: mn.keyPem, ca: [root.certPem] });
      const them = certificateAuthenticator({ ca: root.certPem });
      expect(them.canSign).toBe(false);
      expect(me.canSign).toBe(true);
      expect(me.defaultIdentity).toBe('C=CH, O=mip6sec, CN=mn1');
      expect(me.certificateAuthorities?.map(toHex)).toEqual([
        toHex(caKeyHash(parseCertificate(root.certDer))),
      ]);
      const modern = await exchange(me, them, 'mn1@example.org');
      expect(modern.auth.method).toBe(14);
      expect(modern.certs).toEqual([
        { kind: 'CERT', encoding: CERT_ENCODING.X509_CERTIFICATE_SIGNATURE, data: mn.certDer },
      ]);
      expect(await modern.ok()).toBe(true);
      const old = await exchange(me, them, 'mn1@example.org', ctx({ peerSignatureHashes: undefined }));
      expect(old.auth.method).toBe(AUTH_METHOD.ECDSA_SHA384_P384);
      expect(await old.ok()).toBe(true);
      const strict = certificateAuthenticator({ ca: root.certPem, legacy: false });
      await expect(
        strict(ctx()).verify(octets, old.auth, idOf('mn1@example.org'), old.certs),
      ).rejects.toThrow(/Auth Method 10 refused/);
      const rsa = certificateAuthenticator({ cert: gw.certPem, key: gw.keyPem });
      expect(rsa(ctx({ peerSignatureHashes: [] })).method).toBe(AUTH_METHOD.RSA_DIGITAL_SIGNATURE);
      const rsaStrict = certificateAuthenticator({ cert: gw.certPem, key: gw.keyPem, legacy: false });
      expect(() => rsaStrict(ctx({ peerSignatureHashes: [] })).sign(octets)).toThrow(
        expect.objectContaining({ code: 'AUTHENTICATION_FAILED' }),
      );
    });

    it('sends intermediates and validates through them', async () => {
      const me = certificateAuthenticator({ cert: [viaInter.certPem, inter.certPem], key: viaInter.keyDer });
      const them = certificateAuthenticator({ ca: [root.certDer] });
      const x = await exchange(me, them, 'leaf.example.org');
      expect(x.certs).toHaveLength(2);
      expect(await x.ok()).toBe(true);
    });

    it('refuses a wrong identity, a bad signature, an unknown CA, an expired certificate, no CERT', async () => {
      const me = certificateAuthenticator({ cert: gw.certPem, key: gw.keyPem });
      const them = certificateAuthenticator({ ca: root.certPem });
      const fails = async (p: Promise<boolean> | boolean, why: RegExp) => {
        await expect(Promise.resolve().then(() => p)).rejects.toThrow(why);
      };
      await fails(
        (await exchange(me, them, 'other.example.org')).ok(),
        /does not bind the identity other\.example\.org/,
      );
      const x = await exchange(me, them, 'gw.example.org');
      const bad = { ...x.auth, data: x.auth.data.slice() };
      bad.data[bad.data.length - 1]! ^= 1;
      await fails(them(ctx()).verify(octets, bad, idOf('gw.example.org'), x.certs), /does not verify/);
      await fails(
        certificateAuthenticator({ ca: otherRoot.certPem })(ctx()).verify(
          octets,
          x.auth,
          idOf('gw.example.org'),
          x.certs,
        ),
        /no trusted CA/,
      );
      await fails(
        them(ctx({ now: () => Date.now() + 5 * 86_400_000 })).verify(
          octets,
          x.auth,
          idOf('gw.example.org'),
          x.certs,
        ),
        /expired/,
      );
      // A clock that starts at 0 (a simulation) with an epoch that puts it into the validity period.
      expect(
        await certificateAuthenticator({ ca: root.certPem, epoch: Date.now() - 1000 })(
          ctx({ now: () => 1000 }),
        ).verify(octets, x.auth, idOf('gw.example.org'), x.certs),
      ).toBe(true);
      await fails(
        them(ctx()).verify(octets, x.auth, idOf('gw.example.org'), []),
        /sent no X\.509 certificate/,
      );
      const junk: CertPayload[] = [{ kind: 'CERT', encoding: 4, data: Uint8Array.of(0x30, 0x01, 0x00) }];
      await fails(them(ctx()).verify(octets, x.auth, idOf('gw.example.org'), junk), /bad certificate/);
    });

    it('refuses bad configurations', () => {
      const einval = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      einval(() => certificateAuthenticator({}));
      einval(() => certificateAuthenticator({ cert: gw.certPem }));
      einval(() => certificateAuthenticator({ cert: gw.certPem, key: mn.keyPem }));
      einval(() => certificateAuthenticator({ ca: gw.certPem }));
      einval(() => certificateAuthenticator({ cert: gw.certPem, key: 'garbage' }));
    });
  });
});
