/**
 * IKE_AUTH (RFC 7296 section 1.2, 2.15): identities and AUTH over the IKE_SA_INIT messages, the
 * first CHILD_SA, INITIAL_CONTACT (section 2.4), MOBIKE_SUPPORTED (RFC 4555 section 4.2) and the
 * configuration payload that bootstraps a Mobile IPv6 home address (RFC 5026 section 4.2,
 * RFC 4877 section 6.1): INTERNAL_IP6_ADDRESS and MIP6_HOME_PREFIX.
 */
import { type Datagram, type Endpoint, ipFromBytes, ipToBytes } from '@mip6sec/core';
import type { AuthContext } from '../auth/authenticator.js';
import { signedOctets } from '../auth/signed-octets.js';
import { concat, equalBytes, u32ToBytes } from '../bytes.js';
import type { ChildSa, ChildSpec } from '../child-sa.js';
import type { ResolvedPeer } from '../config.js';
import { CERT_ENCODING, CFG_ATTR, CFG_TYPE, EXCHANGE, notifyName, PROTOCOL } from '../constants.js';
import { errorNotify, findNotify, first, type IkeEngine, notify, type Reply } from '../engine.js';
import { IkeError } from '../errors.js';
import { formatIdentity, type Identity, identityMatches, parseIdentity } from '../identity.js';
import type { IkeSa } from '../ike-sa.js';
import type { CfgAttribute, CpPayload, Payload } from '../payloads/types.js';
import {
  abandonChildRequest,
  answerChildRequest,
  type ChildRequest,
  childRequestPayloads,
  completeChildRequest,
  prepareChildRequest,
} from './child-negotiation.js';
import { addressListNotifies, readAddressList } from './mobike.js';
import type { ExchangeTask } from './task.js';

export function authContext(e: IkeEngine, sa: IkeSa): AuthContext {
  return {
    crypto: sa.crypto,
    prfAlgorithm: sa.prfAlgorithm,
    prf: (k, d) => sa.prf(k, d),
    localId: sa.localId ? formatIdentity(sa.localId) : '',
    remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '',
    now: () => e.clock.now(),
    ...(sa.peerSignatureHashes ? { peerSignatureHashes: sa.peerSignatureHashes } : {}),
  };
}

/** CERTREQ payloads naming the CAs a peer's certificate may chain to (RFC 7296 section 3.7). */
export function certificateRequests(peers: readonly ResolvedPeer[]): Payload[] {
  const hashes: Uint8Array[] = [];
  for (const p of peers)
    for (const h of p.remoteAuth.certificateAuthorities ?? [])
      if (!hashes.some((x) => equalBytes(x, h))) hashes.push(h);
  return hashes.length
    ? [{ kind: 'CERTREQ', encoding: CERT_ENCODING.X509_CERTIFICATE_SIGNATURE, data: concat(...hashes) }]
    : [];
}

/** N(SET_WINDOW_SIZE) when our window is above the default 1 (RFC 7296 section 2.3). */
export function windowNotify(e: IkeEngine): Payload[] {
  return e.cfg.windowSize > 1 ? [notify('SET_WINDOW_SIZE', u32ToBytes(e.cfg.windowSize))] : [];
}

/** Takes the peer's SET_WINDOW_SIZE, when it sent a valid one. */
export function readWindow(sa: IkeSa, payloads: readonly Payload[]): void {
  const n = findNotify(payloads, 'SET_WINDOW_SIZE');
  if (n?.data.length === 4) {
    const w = new DataView(n.data.buffer, n.data.byteOffset, 4).getUint32(0);
    if (w >= 1) sa.peerWindow = w;
  }
}

/**
 * Runs the peer's verification; a thrown error (a certificate refused, with its reason) counts as
 * a failure and is kept in the daemon's error list.
 */
async function verifyPeer(e: IkeEngine, verify: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return await verify();
  } catch (x) {
    e.report(x);
    return false;
  }
}

function idPayload(kind: 'IDi' | 'IDr', id: Identity): Payload {
  return { kind, idType: id.idType, data: id.data };
}

/** What the initiator of IKE_AUTH learns about the CHILD_SA it asked for. */
export interface FirstChildResult {
  readonly child?: ChildSa;
  readonly error?: IkeError;
}

export class AuthTask implements ExchangeTask {
  readonly exchange = EXCHANGE.IKE_AUTH;
  private readonly engine: IkeEngine;
  private readonly spec: ChildSpec | undefined;
  private readonly done: (sa: IkeSa, first: FirstChildResult) => void;
  private req: ChildRequest | undefined;

  constructor(
    engine: IkeEngine,
    spec: ChildSpec | undefined,
    done: (sa: IkeSa, first: FirstChildResult) => void,
  ) {
    this.engine = engine;
    this.spec = spec;
    this.done = done;
  }

  async build(sa: IkeSa): Promise<Payload[]> {
    const e = this.engine;
    const peer = sa.peer!;
    sa.localId = parseIdentity(peer.localId ?? sa.local.ip);
    const auth = peer.auth(authContext(e, sa));
    const octets = signedOctets((k, d) => sa.prf(k, d), sa.initRequest, sa.nr, sa.keys!.skPi, sa.localId);
    const payloads: Payload[] = [idPayload('IDi', sa.localId)];
    for (const c of auth.certificates?.() ?? []) payloads.push(c);
    payloads.push(...certificateRequests([peer]));
    const others = e.sasWith(sa.remote.ip).filter((o) => o !== sa && o.peer === peer);
    if (peer.config.initialContact !== false && others.length === 0) payloads.push(notify('INITIAL_CONTACT'));
    const remoteId = peer.config.remoteId;
    if (remoteId !== undefined && remoteId !== '%any')
      payloads.push(idPayload('IDr', parseIdentity(remoteId)));
    payloads.push({ kind: 'AUTH', method: auth.method, data: await auth.sign(octets) });
    if (peer.homeAddress)
      payloads.push(
        homeAddressRequest(
          peer.homeAddress.address !== false,
          peer.homeAddress.prefix !== false,
          peer.homeAddress.proposed,
        ),
      );
    if (this.spec) {
      if (this.req) await abandonChildRequest(e, this.req);
      this.req = await prepareChildRequest(e, sa, this.spec, {
        wildcardLocal: peer.homeAddress !== undefined,
        pfs: false,
      });
      payloads.push(...childRequestPayloads(this.req));
    }
    if (peer.mobike) payloads.push(notify('MOBIKE_SUPPORTED'), ...addressListNotifies([]));
    payloads.push(...windowNotify(e));
    return payloads;
  }

  async handle(sa: IkeSa, payloads: readonly Payload[]): Promise<undefined> {
    const e = this.engine;
    const peer = sa.peer!;
    const idr = first(payloads, 'IDr');
    const auth = first(payloads, 'AUTH');
    if (!idr || !auth) {
      const err = errorNotify(payloads);
      throw new IkeError(
        err ? (notifyName(err.notify) as never) : 'INVALID_SYNTAX',
        `IKE_AUTH refused: ${err ? notifyName(err.notify) : 'no IDr and AUTH'}`,
      );
    }
    const ok =
      identityMatches(peer.config.remoteId, idr) &&
      (await verifyPeer(e, () =>
        peer.remoteAuth({ ...authContext(e, sa), remoteId: formatIdentity(idr) }).verify(
          signedOctets((k, d) => sa.prf(k, d), sa.initResponse, sa.ni, sa.keys!.skPr, idr),
          auth,
          idr,
          payloads.filter((p) => p.kind === 'CERT') as never,
        ),
      ));
    if (!ok) {
      // RFC 7296 section 2.21.2: the initiator reports it in a separate INFORMATIONAL.
      e.sendOnce(sa, EXCHANGE.INFORMATIONAL, [notify('AUTHENTICATION_FAILED')]);
      throw new IkeError('AUTHENTICATION_FAILED', `responder ${formatIdentity(idr)} failed authentication`);
    }
    sa.remoteId = { idType: idr.idType, data: idr.data };
    readWindow(sa, payloads);
    const cp = first(payloads, 'CP');
    if (cp && cp.cfgType === CFG_TYPE.CFG_REPLY)
      sa.assignedHome = readHomeAddressReply(cp, findNotify(payloads, 'USE_ASSIGNED_HoA') !== undefined);
    if (peer.mobike && findNotify(payloads, 'MOBIKE_SUPPORTED')) {
      sa.mobike = true;
      sa.peerAdditionalAddresses = readAddressList(payloads) ?? [];
    }
    e.established(sa);
    let result: FirstChildResult = {};
    if (this.req) {
      const req = this.req;
      this.req = undefined;
      const err = errorNotify(payloads);
      if (first(payloads, 'SA')) {
        try {
          result = { child: await completeChildRequest(e, sa, req, payloads, sa.ni, sa.nr) };
        } catch (x) {
          await abandonChildRequest(e, req);
          rejectPeerChild(e, sa, req.spiIn);
          result = { error: x instanceof IkeError ? x : new IkeError('EINVAL', String(x)) };
        }
      } else {
        await abandonChildRequest(e, req);
        result = {
          error: new IkeError(
            err ? (notifyName(err.notify) as never) : 'NO_PROPOSAL_CHOSEN',
            'first CHILD_SA refused',
          ),
        };
      }
    }
    this.done(sa, result);
    return undefined;
  }

  fail(sa: IkeSa, error: IkeError): void {
    const req = this.req;
    this.req = undefined;
    void (async () => {
      if (req) await abandonChildRequest(this.engine, req);
      await this.engine.destroy(sa, `IKE_AUTH failed: ${error.message}`, { cause: error });
    })();
  }
}

/** The peer made a CHILD_SA we refused: a Delete for the SPI it sends to makes it drop it. */
export function rejectPeerChild(e: IkeEngine, sa: IkeSa, spiIn: number): void {
  e.enqueue(sa, {
    exchange: EXCHANGE.INFORMATIONAL,
    concurrent: true,
    build: async () => [{ kind: 'D', protocol: PROTOCOL.ESP, spiSize: 4, spis: [u32ToBytes(spiIn)] }],
    handle: async () => undefined,
    fail: () => undefined,
  });
}

function homeAddressRequest(address: boolean, prefix: boolean, proposed?: string): CpPayload {
  const attributes: CfgAttribute[] = [];
  if (address) {
    attributes.push({
      type: CFG_ATTR.INTERNAL_IP6_ADDRESS,
      value: proposed ? concat(ipToBytes(proposed), Uint8Array.of(128)) : new Uint8Array(0),
    });
  }
  if (prefix) attributes.push({ type: CFG_ATTR.MIP6_HOME_PREFIX, value: new Uint8Array(0) });
  return { kind: 'CP', cfgType: CFG_TYPE.CFG_REQUEST, attributes };
}

function readHomeAddressReply(cp: CpPayload, useAssigned: boolean): NonNullable<IkeSa['assignedHome']> {
  const out: NonNullable<IkeSa['assignedHome']> = {};
  for (const a of cp.attributes) {
    if (a.type === CFG_ATTR.INTERNAL_IP6_ADDRESS && a.value.length === 17) {
      out.address = ipFromBytes(a.value, 0, 6);
      out.prefixLen = a.value[16]!;
    } else if (a.type === CFG_ATTR.INTERNAL_IP4_ADDRESS && a.value.length === 4) {
      out.address = ipFromBytes(a.value, 0, 4);
      out.prefixLen = 32;
    } else if (a.type === CFG_ATTR.MIP6_HOME_PREFIX && a.value.length === 21) {
      // RFC 5026 section 4.2.1: Prefix Lifetime (4) | Home Prefix (16) | Prefix Length (1).
      out.prefixLifetime = new DataView(a.value.buffer, a.value.byteOffset, 4).getUint32(0);
      out.prefix = ipFromBytes(a.value, 4, 6);
      out.prefixLen ??= a.value[20]!;
    }
  }
  if (useAssigned) out.useAssigned = true;
  return out;
}

/**
 * Answers a CFG_REQUEST from the peer's pool: the whole address (INTERNAL_IP6_ADDRESS, or
 * INTERNAL_IP4_ADDRESS for an IPv4 pool) and the home prefix (MIP6_HOME_PREFIX), recording the
 * identity's home address and announcing it on the bus.
 */
function answerHomeAddress(
  e: IkeEngine,
  sa: IkeSa,
  cp: CpPayload,
): { payloads: Payload[]; failed?: Payload } {
  const pool = sa.peer?.pool;
  if (!pool) return { payloads: [] };
  const wants = (t: number) => cp.attributes.find((a) => a.type === t);
  const a6 = wants(CFG_ATTR.INTERNAL_IP6_ADDRESS);
  const prefix = wants(CFG_ATTR.MIP6_HOME_PREFIX);
  const a4 = wants(CFG_ATTR.INTERNAL_IP4_ADDRESS);
  const v6 = pool.family === 6;
  if (v6 ? !a6 && !prefix : !a4) return { payloads: [] };
  const identity = formatIdentity(sa.remoteId!);
  let proposed: string | undefined;
  if (v6 && a6?.value.length === 17) proposed = ipFromBytes(a6.value, 0, 6);
  if (!v6 && a4?.value.length === 4) proposed = ipFromBytes(a4.value, 0, 4);
  let assigned: ReturnType<typeof pool.assign>;
  try {
    assigned = pool.assign(identity, proposed);
  } catch {
    return { payloads: [], failed: notify('INTERNAL_ADDRESS_FAILURE') };
  }
  const { hoa, prefixLen } = assigned.assignment;
  const attributes: CfgAttribute[] = [];
  if (v6 && a6)
    attributes.push({
      type: CFG_ATTR.INTERNAL_IP6_ADDRESS,
      value: concat(ipToBytes(hoa), Uint8Array.of(prefixLen)),
    });
  if (v6 && prefix) {
    attributes.push({
      type: CFG_ATTR.MIP6_HOME_PREFIX,
      value: concat(
        u32ToBytes(pool.prefixLifetime),
        ipToBytes(pool.prefix.addr),
        Uint8Array.of(pool.prefix.len),
      ),
    });
  }
  if (!v6) attributes.push({ type: CFG_ATTR.INTERNAL_IP4_ADDRESS, value: ipToBytes(hoa) });
  sa.peerHome = hoa;
  e.bus.emit({ type: 'ike.home-address', identity, hoa, prefixLen });
  const payloads: Payload[] = [{ kind: 'CP', cfgType: CFG_TYPE.CFG_REPLY, attributes }];
  if (assigned.changed) payloads.push(notify('USE_ASSIGNED_HoA'));
  return { payloads };
}

/** Responder side of IKE_AUTH. */
export async function respondAuth(
  e: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  d: Datagram,
  local: Endpoint,
): Promise<Reply> {
  if (sa.state !== 'authenticating' || sa.initiator)
    throw new IkeError('INVALID_SYNTAX', 'IKE_AUTH on an authenticated IKE SA');
  // The initiator may have moved to port 4500 after IKE_SA_INIT (RFC 7296 section 2.23).
  sa.local = local;
  sa.remote = d.src;
  if (local.port === e.cfg.nattPort) sa.natT = true;
  const fail = (): Reply => ({
    payloads: [notify('AUTHENTICATION_FAILED')],
    ok: false,
    after: () => e.destroy(sa, 'authentication failed', { silent: true }),
  });
  const idi = first(payloads, 'IDi');
  const auth = first(payloads, 'AUTH');
  if (!idi) throw new IkeError('INVALID_SYNTAX', 'IKE_AUTH without IDi');
  if (!auth) return fail();
  const wanted = first(payloads, 'IDr');
  const peer = sa.candidates.find(
    (c) =>
      identityMatches(c.config.remoteId, idi) && (!wanted || identityMatches(c.localId ?? local.ip, wanted)),
  );
  if (!peer) return fail();
  sa.peer = peer;
  sa.remoteId = { idType: idi.idType, data: idi.data };
  sa.localId = parseIdentity(peer.localId ?? local.ip);
  const verified = await verifyPeer(e, () =>
    peer.remoteAuth(authContext(e, sa)).verify(
      signedOctets((k, x) => sa.prf(k, x), sa.initRequest, sa.nr, sa.keys!.skPi, idi),
      auth,
      idi,
      payloads.filter((p) => p.kind === 'CERT') as never,
    ),
  );
  if (!verified) return fail();
  if (findNotify(payloads, 'INITIAL_CONTACT')) {
    const who = formatIdentity(sa.remoteId);
    for (const other of e.sasWithIdentity(who)) {
      if (other !== sa && other.state !== 'dead' && other.peer === peer) {
        await other.serial(() => e.destroy(other, 'initial contact'));
      }
    }
  }
  const mine = peer.auth(authContext(e, sa));
  const reply: Payload[] = [idPayload('IDr', sa.localId)];
  for (const c of mine.certificates?.() ?? []) reply.push(c);
  let ourAuth: Uint8Array;
  try {
    ourAuth = await mine.sign(
      signedOctets((k, x) => sa.prf(k, x), sa.initResponse, sa.ni, sa.keys!.skPr, sa.localId),
    );
  } catch (x) {
    // We cannot prove who we are to this peer (no signature it takes): the exchange fails.
    e.report(x);
    return fail();
  }
  reply.push({ kind: 'AUTH', method: mine.method, data: ourAuth });
  const cp = first(payloads, 'CP');
  let childError: Payload | undefined;
  if (cp && cp.cfgType === CFG_TYPE.CFG_REQUEST) {
    const answer = answerHomeAddress(e, sa, cp);
    reply.push(...answer.payloads);
    childError = answer.failed;
  }
  if (peer.mobike && findNotify(payloads, 'MOBIKE_SUPPORTED')) {
    sa.mobike = true;
    sa.peerAdditionalAddresses = readAddressList(payloads) ?? [];
  }
  e.established(sa);
  if (first(payloads, 'SA') && !childError) {
    try {
      const a = await answerChildRequest(e, sa, payloads, sa.ni, sa.nr, {
        pfsAllowed: false,
        remoteDynamic: sa.peerHome ?? sa.remote.ip,
      });
      if (a.error) childError = a.error;
      else reply.push(a.sa!, ...a.ts!, ...a.notifies!);
    } catch (x) {
      e.report(x);
      childError = notify('NO_ADDITIONAL_SAS');
    }
  }
  if (childError) reply.push(childError);
  if (sa.mobike) reply.push(notify('MOBIKE_SUPPORTED'), ...addressListNotifies([]));
  readWindow(sa, payloads);
  reply.push(...windowNotify(e));
  return { payloads: reply };
}
