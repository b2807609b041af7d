/**
 * @mip6sec/ike's building blocks against strongSwan charon on real UDP in namespaces, at the wire
 * level: the message codec, proposal selection, NAT detection, key derivation, the SK payload and
 * PSK AUTH driven by hand through one exchange each way (charon initiating to us, and us initiating
 * to charon up to an ESTABLISHED IKE_SA and CHILD_SA that `swanctl --list-sas` shows with our
 * SPIs). The daemon itself meets charon in ike-charon.integration.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoProvider, Datagram, DatagramSocket, Endpoint } from '@mip6sec/core';
import { createCryptoProvider, type PrfAlgorithm, prf } from '@mip6sec/crypto';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { AuthContext } from '../../src/auth/authenticator.js';
import { pskAuthenticator } from '../../src/auth/psk.js';
import { signedOctets } from '../../src/auth/signed-octets.js';
import { bytesToU64, concat } from '../../src/bytes.js';
import { AUTH_METHOD, EXCHANGE, NOTIFY, PROTOCOL } from '../../src/constants.js';
import { deriveIkeKeys, type IkeKeys, skeyseed } from '../../src/crypto/keymat.js';
import {
  acceptChosenProposal,
  parseProposal,
  parseProposals,
  type Suite,
  selectProposal,
  toProposals,
} from '../../src/crypto/proposals.js';
import { SkCipher } from '../../src/crypto/sk-cipher.js';
import { formatIdentity, parseIdentity } from '../../src/identity.js';
import { decodeMessage, encodeMessage } from '../../src/message.js';
import { natBehind, natHash } from '../../src/nat-detection.js';
import type { NotifyPayload, Payload, Transform } from '../../src/payloads/types.js';
import {
  formatTs,
  fromPayloadSelectors,
  parseTs,
  type TsRange,
  toPayloadSelector,
} from '../../src/traffic-selectors.js';
import { Charon } from './charon.js';
import { NetnsPair } from './netns.js';
import { NetnsUdpTransport } from './netns-udp.js';
import { describeInterop } from './prereqs.js';

const PSK = 'interop-ike-psk-0123456789abcdef';
const CHARON_ID = 'gw-a@interop.test';
const OUR_ID = 'ours@interop.test';
/** charon's offer when it initiates: one AEAD, one MODP with CBC/HMAC, one ECP. */
const CHARON_IKE = ['aes256gcm16-prfsha256-modp2048', 'aes128-sha256-modp2048', 'aes256-sha384-ecp384'];
const CHARON_ESP = ['aes128gcm16-modp2048', 'aes256-sha256'];
/** Inner networks, unrelated to the outer (veth) addresses. */
const CHARON_NET = '10.1.0.0/24';
const OUR_NET = '10.2.0.0/24';
const NON_ESP_MARKER = new Uint8Array(4);

function byType(transforms: readonly Transform[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const t of transforms) {
    const bits = t.attributes?.find((a) => 'value' in a)?.value;
    const list = out[t.type] ?? [];
    list.push(bits === undefined ? `${t.id}` : `${t.id}/${bits}`);
    out[t.type] = list;
  }
  return out;
}

function notify(type: number, data: Uint8Array = new Uint8Array(0)): NotifyPayload {
  return { kind: 'N', protocol: 0, spi: new Uint8Array(0), notify: type, data };
}

function find<K extends Payload['kind']>(payloads: readonly Payload[], kind: K): Payload & { kind: K } {
  const p = payloads.find((x) => x.kind === kind);
  if (!p) throw new Error(`no ${kind} payload in [${payloads.map((x) => x.kind).join(' ')}]`);
  return p as Payload & { kind: K };
}

function notifies(payloads: readonly Payload[], type: number): NotifyPayload[] {
  return payloads.filter((p): p is NotifyPayload => p.kind === 'N' && p.notify === type);
}

function authContext(
  crypto: CryptoProvider,
  alg: PrfAlgorithm,
  localId: string,
  remoteId: string,
): AuthContext {
  return { crypto, prfAlgorithm: alg, prf: (k, d) => prf(crypto, alg, k, d), localId, remoteId };
}

function range(text: string): TsRange {
  const spec = parseTs(text);
  if ('dynamic' in spec) throw new Error(`${text} is not a fixed range`);
  return spec;
}

function spiHex32(spi: Uint8Array): string {
  return Buffer.from(spi).toString('hex');
}

function randomSpi64(crypto: CryptoProvider): bigint {
  return bytesToU64(crypto.randomBytes(8)) | 1n;
}

/** The next datagram on `socket` that `pred` accepts; subscribe before triggering the sender. */
function nextDatagram(
  socket: DatagramSocket,
  pred: (d: Datagram) => boolean,
  ms = 10_000,
): Promise<Datagram> {
  return firstValueFrom(socket.messages.pipe(filter(pred), take(1), timeout(ms)));
}

const isIke = (d: Datagram) => d.data.length >= 28;
const withMarker = (d: Datagram) => d.data.length >= 32 && d.data.subarray(0, 4).every((b) => b === 0);

describeInterop('@mip6sec/ike building blocks against charon (real UDP, namespaces)', () => {
  const crypto = createCryptoProvider();
  let dir: string;
  let pair: NetnsPair;
  let charon: Charon;
  const sockets: DatagramSocket[] = [];
  let ours4: { ike: DatagramSocket; natt: DatagramSocket };
  let ours6: { ike: DatagramSocket; natt: DatagramSocket };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mip6sec-ike-interop-'));
    pair = await NetnsPair.create({ a: { inner: ['10.1.0.1'] }, b: { inner: ['10.2.0.1'] } });
    charon = await Charon.start({ pair, side: 'a', dir: join(dir, 'charon') });
    const child = {
      localTs: [CHARON_NET],
      remoteTs: [OUR_NET],
    };
    await charon.configure({
      connections: {
        // charon initiates this one to our IPv4 address.
        toUs: {
          localAddrs: [pair.a.ipv4],
          remoteAddrs: [pair.b.ipv4],
          proposals: CHARON_IKE,
          keyingtries: 1,
          local: { auth: 'psk', id: CHARON_ID },
          remote: { auth: 'psk', id: OUR_ID },
          children: { t4: { ...child, espProposals: CHARON_ESP } },
        },
        // We initiate this one over IPv6; charon accepts only ECP-384 and AES-CBC/HMAC-SHA2.
        fromUs: {
          localAddrs: [pair.a.ipv6],
          remoteAddrs: [pair.b.ipv6],
          proposals: ['aes256-sha384-ecp384'],
          local: { auth: 'psk', id: CHARON_ID },
          remote: { auth: 'psk', id: OUR_ID },
          children: { t6: { ...child, espProposals: ['aes256-sha256'] } },
        },
      },
      psks: [{ ids: [CHARON_ID, OUR_ID], secret: PSK }],
    });
    const transport = new NetnsUdpTransport(pair, 'b');
    const bind = async (ip: string, port: number) => {
      const s = await transport.bind({ ip, port });
      sockets.push(s);
      return s;
    };
    ours4 = { ike: await bind(pair.b.ipv4, 500), natt: await bind(pair.b.ipv4, 4500) };
    ours6 = { ike: await bind(pair.b.ipv6, 500), natt: await bind(pair.b.ipv6, 4500) };
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && charon) console.error(await charon.diagnostics(150));
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await charon?.stop();
    await pair?.destroy();
    if (dir && !process.env.MIP6SEC_KEEP_INTEROP) await rm(dir, { recursive: true, force: true });
  });

  it('as responder: reads charon IKE_SA_INIT, derives keys that open and verify its IKE_AUTH, seals a reply charon reads', async () => {
    const gotInit = nextDatagram(ours4.ike, isIke);
    const initiating = charon.initiate('t4', { ike: 'toUs', timeoutS: 15 }).then(
      () => 'succeeded',
      (err: unknown) => String(err),
    );
    const init = await gotInit;
    const req = decodeMessage(init.data);
    expect(req).toMatchObject({
      exchange: EXCHANGE.IKE_SA_INIT,
      initiator: true,
      response: false,
      messageId: 0,
    });
    expect(req.spiR).toBe(0n);
    expect(init.src).toEqual({ ip: pair.a.ipv4, port: 500 });

    // Every proposal as our parser reads charon's own keyword syntax.
    const sa = find(req.payloads, 'SA');
    expect(sa.proposals.map((p) => p.num)).toEqual([1, 2, 3]);
    expect(sa.proposals.map((p) => byType(p.transforms))).toEqual(
      CHARON_IKE.map((t) => byType(parseProposal(t, 'ike').transforms)),
    );
    const ke = find(req.payloads, 'KE');
    expect(ke.group).toBe(14);
    expect(ke.data.length).toBe(256);
    const ni = find(req.payloads, 'NONCE').data;
    expect(ni.length).toBeGreaterThanOrEqual(16);

    // charon's hash of our address equals ours; its own source hash is faked (kernel-libipsec
    // forces UDP encapsulation), so a NAT in front of charon must be detected.
    const [natS] = notifies(req.payloads, NOTIFY.NAT_DETECTION_SOURCE_IP);
    const [natD] = notifies(req.payloads, NOTIFY.NAT_DETECTION_DESTINATION_IP);
    expect(natS && natD).toBeTruthy();
    expect(natBehind(crypto, req.spiI, 0n, init.dst, [natD!.data])).toBe(false);
    expect(natBehind(crypto, req.spiI, 0n, init.src, [natS!.data])).toBe(true);

    // We prefer charon's second proposal (MODP-2048 with AES-CBC and HMAC-SHA2-256).
    const chosen = selectProposal(sa.proposals, parseProposals(['aes128-sha256-modp2048'], 'ike'), {
      preferDh: ke.group,
    });
    expect(chosen?.proposal.num).toBe(2);
    const suite = chosen!.suite;
    const dh = crypto.dh(14);
    const nr = crypto.randomBytes(32);
    const spiR = randomSpi64(crypto);
    const resp = encodeMessage({
      spiI: req.spiI,
      spiR,
      exchange: EXCHANGE.IKE_SA_INIT,
      response: true,
      initiator: false,
      messageId: 0,
      payloads: [
        { kind: 'SA', proposals: [chosen!.proposal] },
        { kind: 'KE', group: 14, data: dh.publicKey },
        { kind: 'NONCE', data: nr },
        notify(NOTIFY.NAT_DETECTION_SOURCE_IP, natHash(crypto, req.spiI, spiR, init.dst)),
        notify(NOTIFY.NAT_DETECTION_DESTINATION_IP, natHash(crypto, req.spiI, spiR, init.src)),
      ],
    });
    const gotAuth = nextDatagram(ours4.natt, withMarker);
    ours4.ike.send(init.src, resp);

    const keys = deriveIkeKeys(
      crypto,
      suite,
      skeyseed(crypto, suite.prf!, ni, nr, dh.computeSecret(ke.data)),
      ni,
      nr,
      req.spiI,
      spiR,
    );
    const authDg = await gotAuth;
    // charon floats to 4500 for the IKE_AUTH with the non-ESP marker in front.
    expect(authDg.src).toEqual({ ip: pair.a.ipv4, port: 4500 });
    const authBytes = authDg.data.subarray(4);
    const authMsg = decodeMessage(authBytes);
    expect(authMsg).toMatchObject({
      spiI: req.spiI,
      spiR,
      exchange: EXCHANGE.IKE_AUTH,
      messageId: 1,
      response: false,
    });
    const inner = new SkCipher(crypto, suite, { enc: keys.skEi, integ: keys.skAi }).open(authBytes, authMsg);

    const idi = find(inner, 'IDi');
    expect(formatIdentity(idi)).toBe(CHARON_ID);
    const auth = find(inner, 'AUTH');
    expect(auth.method).toBe(AUTH_METHOD.SHARED_KEY_MESSAGE_INTEGRITY_CODE);
    const ctx = authContext(crypto, suite.prf!, OUR_ID, CHARON_ID);
    const octets = signedOctets(ctx.prf, init.data, nr, keys.skPi, idi);
    expect(await pskAuthenticator(PSK)(ctx).verify(octets, auth, idi, [])).toBe(true);
    expect(await pskAuthenticator(`${PSK}x`)(ctx).verify(octets, auth, idi, [])).toBe(false);

    const childSa = find(inner, 'SA');
    expect(childSa.proposals.map((p) => p.protocol)).toEqual([PROTOCOL.ESP, PROTOCOL.ESP]);
    expect(childSa.proposals.every((p) => p.spi.length === 4)).toBe(true);
    // charon sends no DH in IKE_AUTH (the first CHILD_SA takes its keys from the IKE_SA).
    const espNoDh = CHARON_ESP.map((t) => byType(parseProposal(t, 'esp').transforms)).map((g) => {
      const { 4: _dh, ...rest } = g;
      return rest;
    });
    expect(childSa.proposals.map((p) => byType(p.transforms))).toEqual(espNoDh);
    expect(fromPayloadSelectors(find(inner, 'TSi').selectors).map(formatTs)).toEqual([CHARON_NET]);
    expect(fromPayloadSelectors(find(inner, 'TSr').selectors).map(formatTs)).toEqual([OUR_NET]);
    expect(notifies(inner, NOTIFY.MOBIKE_SUPPORTED)).toHaveLength(1);

    // Our SK_er must be right too: charon can only report this notify if it opened our reply.
    const reply = new SkCipher(crypto, suite, { enc: keys.skEr, integ: keys.skAr }).seal(
      { spiI: req.spiI, spiR, exchange: EXCHANGE.IKE_AUTH, response: true, initiator: false, messageId: 1 },
      [notify(NOTIFY.AUTHENTICATION_FAILED)],
    );
    ours4.natt.send(authDg.src, concat(NON_ESP_MARKER, reply));
    expect(await initiating).toMatch(/received AUTHENTICATION_FAILED notify error/);
    expect((await charon.listSas()).filter((s) => s.name === 'toUs')).toEqual([]);
  });

  it('as initiator over IPv6: INVALID_KE_PAYLOAD retry, PSK IKE_AUTH, and charon lists the SAs we built', async () => {
    const ourIke = ['aes256gcm16-prfsha256-ecp256', 'aes128-sha256-modp2048', 'aes256-sha384-ecp384'];
    const offered = toProposals(parseProposals(ourIke, 'ike'), new Uint8Array(0));
    const charonEp: Endpoint = { ip: pair.a.ipv6, port: 500 };
    const me: Endpoint = ours6.ike.local;
    const spiI = randomSpi64(crypto);
    const ni = crypto.randomBytes(32);
    const initRequest = (group: 19 | 20) => {
      const dh = crypto.dh(group);
      const bytes = encodeMessage({
        spiI,
        spiR: 0n,
        exchange: EXCHANGE.IKE_SA_INIT,
        response: false,
        initiator: true,
        messageId: 0,
        payloads: [
          { kind: 'SA', proposals: offered },
          { kind: 'KE', group, data: dh.publicKey },
          { kind: 'NONCE', data: ni },
          notify(NOTIFY.NAT_DETECTION_SOURCE_IP, natHash(crypto, spiI, 0n, me)),
          notify(NOTIFY.NAT_DETECTION_DESTINATION_IP, natHash(crypto, spiI, 0n, charonEp)),
        ],
      });
      return { dh, bytes };
    };
    const exchange = async (sock: DatagramSocket, to: Endpoint, bytes: Uint8Array, marker = false) => {
      const got = nextDatagram(sock, (d) => d.src.ip === to.ip && (marker ? withMarker(d) : isIke(d)));
      sock.send(to, marker ? concat(NON_ESP_MARKER, bytes) : bytes);
      const d = await got;
      const data = marker ? d.data.subarray(4) : d.data;
      return { data, msg: decodeMessage(data) };
    };

    // First try with ECP-256 (our first proposal's group): charon wants ECP-384.
    let attempt = initRequest(19);
    let r = await exchange(ours6.ike, charonEp, attempt.bytes);
    const [invalidKe] = notifies(r.msg.payloads, NOTIFY.INVALID_KE_PAYLOAD);
    expect(invalidKe?.data).toEqual(Uint8Array.of(0, 20));
    attempt = initRequest(20);
    r = await exchange(ours6.ike, charonEp, attempt.bytes);
    const initResp = r;
    expect(initResp.msg).toMatchObject({
      spiI,
      exchange: EXCHANGE.IKE_SA_INIT,
      response: true,
      initiator: false,
    });
    const spiR = initResp.msg.spiR;
    const suite: Suite = acceptChosenProposal(offered, find(initResp.msg.payloads, 'SA').proposals);
    expect(suite).toEqual({
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 256,
      integ: 'hmac-sha2-384-192',
      prf: 'hmac-sha2-384',
      dh: 20,
    });
    const ke = find(initResp.msg.payloads, 'KE');
    expect(ke.group).toBe(20);
    const nr = find(initResp.msg.payloads, 'NONCE').data;
    const [natD] = notifies(initResp.msg.payloads, NOTIFY.NAT_DETECTION_DESTINATION_IP);
    expect(natBehind(crypto, spiI, spiR, me, [natD!.data])).toBe(false);

    const keys: IkeKeys = deriveIkeKeys(
      crypto,
      suite,
      skeyseed(crypto, suite.prf!, ni, nr, attempt.dh.computeSecret(ke.data)),
      ni,
      nr,
      spiI,
      spiR,
    );
    const ctx = authContext(crypto, suite.prf!, OUR_ID, CHARON_ID);
    const idi = { kind: 'IDi' as const, ...parseIdentity(OUR_ID) };
    const ourEspSpi = concat(Uint8Array.of(0xc1), crypto.randomBytes(3));
    const octets = signedOctets(ctx.prf, attempt.bytes, nr, keys.skPi, idi);
    const authReq = new SkCipher(crypto, suite, { enc: keys.skEi, integ: keys.skAi }).seal(
      { spiI, spiR, exchange: EXCHANGE.IKE_AUTH, response: false, initiator: true, messageId: 1 },
      [
        idi,
        {
          kind: 'AUTH',
          method: AUTH_METHOD.SHARED_KEY_MESSAGE_INTEGRITY_CODE,
          data: await pskAuthenticator(PSK)(ctx).sign(octets),
        },
        {
          kind: 'SA',
          proposals: toProposals(parseProposals(['aes128gcm16', 'aes256-sha256'], 'esp'), ourEspSpi),
        },
        { kind: 'TSi', selectors: [toPayloadSelector(range(OUR_NET))] },
        { kind: 'TSr', selectors: [toPayloadSelector(range(CHARON_NET))] },
      ],
    );
    // NAT was detected (charon fakes one), so IKE_AUTH goes to 4500 with the non-ESP marker.
    const authResp = await exchange(ours6.natt, { ip: pair.a.ipv6, port: 4500 }, authReq, true);
    expect(authResp.msg).toMatchObject({
      spiI,
      spiR,
      exchange: EXCHANGE.IKE_AUTH,
      response: true,
      messageId: 1,
    });
    const inner = new SkCipher(crypto, suite, { enc: keys.skEr, integ: keys.skAr }).open(
      authResp.data,
      authResp.msg,
    );
    const idr = find(inner, 'IDr');
    expect(formatIdentity(idr)).toBe(CHARON_ID);
    const respOctets = signedOctets(ctx.prf, initResp.data, ni, keys.skPr, idr);
    expect(await pskAuthenticator(PSK)(ctx).verify(respOctets, find(inner, 'AUTH'), idr, [])).toBe(true);
    const childChoice = find(inner, 'SA').proposals;
    expect(childChoice).toHaveLength(1);
    expect(childChoice[0]!.num).toBe(2);
    const charonEspSpi = childChoice[0]!.spi;

    const listed = await charon.waitEstablished('fromUs', 't6');
    expect(listed).toMatchObject({
      initiator: false,
      initiatorSpi: spiI.toString(16).padStart(16, '0'),
      responderSpi: spiR.toString(16).padStart(16, '0'),
      localHost: pair.a.ipv6,
      remoteHost: pair.b.ipv6,
      remotePort: 4500,
      remoteId: OUR_ID,
      encrAlg: 'AES_CBC',
      encrKeysize: 256,
      integAlg: 'HMAC_SHA2_384_192',
      prfAlg: 'PRF_HMAC_SHA2_384',
      dhGroup: 'ECP_384',
    });
    const t6 = listed.children.find((c) => c.name === 't6')!;
    expect(t6).toMatchObject({
      mode: 'TUNNEL',
      encap: true,
      spiIn: spiHex32(charonEspSpi),
      spiOut: spiHex32(ourEspSpi),
      encrAlg: 'AES_CBC',
      encrKeysize: 256,
      integAlg: 'HMAC_SHA2_256_128',
      localTs: [CHARON_NET],
      remoteTs: [OUR_NET],
    });
  });
});
