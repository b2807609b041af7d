/**
 * Negotiating one CHILD_SA, shared by IKE_AUTH (RFC 7296 section 1.2) and CREATE_CHILD_SA
 * (section 1.3): the initiator's SA/TSi/TSr (and KEi for PFS), the responder's choice of proposal,
 * traffic selector narrowing (section 2.9) and mode (USE_TRANSPORT_MODE, section 1.3.1), the
 * initiator's checks of that choice, and KEYMAT (section 2.17) into kernel SAs.
 */
import type { DhGroup, DhKeyPair, Ip, SaId } from '@mip6sec/core';
import { bytesToU32, u16ToBytes, u32ToBytes } from '../bytes.js';
import type { ChildSa, ChildSpec } from '../child-sa.js';
import type { ResolvedChild, ResolvedPeer } from '../config.js';
import { PROTOCOL } from '../constants.js';
import { deriveChildKeys } from '../crypto/keymat.js';
import {
  acceptChosenProposal,
  preferredDh,
  type Suite,
  selectProposal,
  toProposals,
  withoutDh,
} from '../crypto/proposals.js';
import { findNotify, first, type IkeEngine, notify } from '../engine.js';
import { IkeError } from '../errors.js';
import type { IkeSa } from '../ike-sa.js';
import type { Payload, Proposal } from '../payloads/types.js';
import {
  anyRange,
  fromPayloadSelectors,
  isSubset,
  narrow,
  resolveSpec,
  type TsRange,
  toPayloadSelector,
} from '../traffic-selectors.js';

/** The initiator's side of one CHILD_SA negotiation, between request and response. */
export interface ChildRequest {
  readonly spec: ChildSpec;
  readonly reqid: number;
  readonly reqidIn: number;
  readonly spiIn: number;
  readonly larval: SaId;
  readonly proposals: readonly Proposal[];
  readonly localTs: readonly TsRange[];
  readonly remoteTs: readonly TsRange[];
  readonly dh: DhKeyPair | undefined;
  readonly rekeyOf: ChildSa | undefined;
}

/** A child config as a spec to negotiate. */
export function specFromConfig(c: ResolvedChild): ChildSpec {
  return {
    name: c.name,
    mode: c.mode,
    esp: c.esp,
    localTs: c.localTs,
    remoteTs: c.remoteTs,
    ...(c.reqid !== undefined ? { reqid: c.reqid } : {}),
    rekeySeconds: c.rekeySeconds,
    lifetimeSeconds: c.lifetimeSeconds,
    replayWindow: c.replayWindow,
  };
}

/** The address `dynamic` stands for on our side: the assigned home address once we have one. */
function localDynamic(sa: IkeSa): Ip {
  return sa.assignedHome?.address ?? sa.local.ip;
}

/**
 * Allocates the inbound SPI (getSpi makes the larval SA) and builds the request part. With
 * `wildcardLocal` (a home address is being requested) a `dynamic` local selector is sent as the
 * whole address family, for the responder to narrow to the address it assigns.
 */
export async function prepareChildRequest(
  engine: IkeEngine,
  sa: IkeSa,
  spec: ChildSpec,
  opts: { wildcardLocal?: boolean; dhGroup?: number; rekeyOf?: ChildSa; pfs?: boolean } = {},
): Promise<ChildRequest> {
  const localTs = opts.rekeyOf
    ? opts.rekeyOf.localTs
    : spec.localTs.map((s) =>
        'dynamic' in s && opts.wildcardLocal
          ? anyRange(sa.local.ip.includes(':') ? 6 : 4, s.proto, s.startPort, s.endPort)
          : resolveSpec(s, localDynamic(sa)),
      );
  const remoteTs = opts.rekeyOf
    ? opts.rekeyOf.remoteTs
    : spec.remoteTs.map((s) => resolveSpec(s, sa.remote.ip));
  const reqid = opts.rekeyOf?.reqid ?? spec.reqid ?? engine.allocateReqid();
  const reqidIn = opts.rekeyOf?.reqidIn ?? spec.reqidIn ?? reqid;
  const ep = engine.childEndpoints(sa, spec.mode, localTs, remoteTs);
  const spiIn = await engine.kernel.getSpi({ src: ep.remote, dst: ep.local, proto: 'esp', reqid: reqidIn });
  const larval: SaId = { src: ep.remote, dst: ep.local, spi: spiIn, proto: 'esp' };
  const group = opts.pfs === false ? undefined : (opts.dhGroup ?? preferredDh(spec.esp));
  let dh: DhKeyPair | undefined;
  try {
    dh = group !== undefined && group !== 0 ? engine.crypto.dh(group as DhGroup) : undefined;
  } catch (e) {
    await engine.kernel.delSa(larval).catch(() => undefined);
    throw e;
  }
  return {
    spec,
    reqid,
    reqidIn,
    spiIn,
    larval,
    proposals: toProposals(opts.pfs === false ? withoutDh(spec.esp) : spec.esp, u32ToBytes(spiIn)),
    localTs,
    remoteTs,
    dh,
    rekeyOf: opts.rekeyOf,
  };
}

/** SA, [KE], TSi, TSr and USE_TRANSPORT_MODE of a request, with `nonce` placed as CREATE_CHILD_SA wants it. */
export function childRequestPayloads(req: ChildRequest, nonce?: Uint8Array): Payload[] {
  const out: Payload[] = [{ kind: 'SA', proposals: req.proposals }];
  if (nonce) out.push({ kind: 'NONCE', data: nonce });
  if (req.dh && nonce) out.push({ kind: 'KE', group: req.dh.group, data: req.dh.publicKey });
  out.push({ kind: 'TSi', selectors: req.localTs.map(toPayloadSelector) });
  out.push({ kind: 'TSr', selectors: req.remoteTs.map(toPayloadSelector) });
  if (req.spec.mode === 'transport') out.push(notify('USE_TRANSPORT_MODE'));
  return out;
}

/** Releases the larval SA of a request that came to nothing. */
export async function abandonChildRequest(engine: IkeEngine, req: ChildRequest): Promise<void> {
  await engine.kernel.delSa(req.larval).catch(() => undefined);
}

/**
 * Checks the responder's answer and installs the CHILD_SA. Throws IkeError for an answer we
 * refuse; the caller then tells the peer to delete what it made (a Delete for our SPI).
 */
export async function completeChildRequest(
  engine: IkeEngine,
  sa: IkeSa,
  req: ChildRequest,
  payloads: readonly Payload[],
  ni: Uint8Array,
  nr: Uint8Array,
): Promise<ChildSa> {
  const saPayload = first(payloads, 'SA');
  const tsi = first(payloads, 'TSi');
  const tsr = first(payloads, 'TSr');
  if (!saPayload || !tsi || !tsr)
    throw new IkeError('INVALID_SYNTAX', 'CHILD_SA response without SA, TSi and TSr');
  const suite = acceptChosenProposal(req.proposals, saPayload.proposals);
  const chosen = saPayload.proposals[0]!;
  if (chosen.spi.length !== 4) throw new IkeError('INVALID_SYNTAX', `ESP SPI of ${chosen.spi.length} bytes`);
  let gir: Uint8Array | undefined;
  if (suite.dh !== undefined) {
    const ke = first(payloads, 'KE');
    if (!req.dh || !ke || ke.group !== suite.dh || req.dh.group !== suite.dh) {
      throw new IkeError('INVALID_SYNTAX', 'PFS group of the response does not match our KE');
    }
    gir = computeSecret(req.dh, ke.data);
  }
  const local = fromPayloadSelectors(tsi.selectors);
  const remote = fromPayloadSelectors(tsr.selectors);
  const within = (got: TsRange[], offered: readonly TsRange[]) =>
    got.length > 0 && got.every((g) => offered.some((o) => isSubset(g, o)));
  if (!within(local, req.localTs) || !within(remote, req.remoteTs)) {
    throw new IkeError('TS_UNACCEPTABLE', 'responder widened the traffic selectors');
  }
  const transport = findNotify(payloads, 'USE_TRANSPORT_MODE') !== undefined;
  if (transport !== (req.spec.mode === 'transport')) {
    throw new IkeError('NO_PROPOSAL_CHOSEN', `responder chose ${transport ? 'transport' : 'tunnel'} mode`);
  }
  const keys = deriveChildKeys(engine.crypto, sa.prfAlgorithm, sa.keys!.skD, suite, ni, nr, gir);
  return engine.installChild(sa, {
    spec: req.spec,
    suite,
    reqid: req.reqid,
    reqidIn: req.reqidIn,
    spiIn: req.spiIn,
    spiOut: bytesToU32(chosen.spi),
    larval: req.larval,
    localTs: local,
    remoteTs: remote,
    keys,
    initiatorOfExchange: true,
    ...(req.rekeyOf ? { rekeyOf: req.rekeyOf } : {}),
  });
}

export function computeSecret(dh: DhKeyPair, peer: Uint8Array): Uint8Array {
  try {
    return dh.computeSecret(peer);
  } catch (e) {
    throw new IkeError('INVALID_SYNTAX', 'peer KE data is not a valid public value', { cause: e });
  }
}

/** What a responder settled on for a CHILD_SA request, before installing it. */
interface ChildChoice {
  spec: ChildSpec;
  reqid: number;
  reqidIn: number;
  local: TsRange[];
  remote: TsRange[];
}

/**
 * The responder's traffic selector policy: a child config of the peer whose selectors overlap the
 * request (and whose mode matches), else the kernel SPD the MIPv6 stack installed.
 */
function chooseChild(
  engine: IkeEngine,
  sa: IkeSa,
  peer: ResolvedPeer,
  offeredRemote: TsRange[],
  offeredLocal: TsRange[],
  mode: 'tunnel' | 'transport',
  remoteDynamic: Ip,
): ChildChoice | undefined {
  for (const c of peer.children) {
    if (c.mode !== mode) continue;
    const remote = narrow(
      offeredRemote,
      c.remoteTs.map((s) => resolveSpec(s, remoteDynamic)),
    );
    const local = narrow(
      offeredLocal,
      c.localTs.map((s) => resolveSpec(s, sa.local.ip)),
    );
    if (remote.length === 0 || local.length === 0) continue;
    const spec = specFromConfig(c);
    const reqid = c.reqid ?? engine.allocateReqid();
    return { spec, reqid, reqidIn: reqid, local, remote };
  }
  if (peer.config.childrenFromSpd === false) return undefined;
  const found = engine.spd.narrowOffer(offeredLocal, offeredRemote, mode);
  if (!found) return undefined;
  const inT = found.in.templates.find((t) => t.proto === 'esp');
  const outT = found.out?.templates.find((t) => t.proto === 'esp');
  const tmode = (outT ?? inT)?.mode ?? 'tunnel';
  if (tmode !== mode) return undefined;
  const reqid = outT?.reqid ?? inT?.reqid ?? engine.allocateReqid();
  const spec: ChildSpec = {
    name: `spd-${reqid}`,
    mode,
    esp: peer.esp,
    localTs: found.local,
    remoteTs: found.remote,
    reqid,
    reqidIn: inT?.reqid ?? reqid,
    rekeySeconds: engine.cfg.childRekeySeconds,
    lifetimeSeconds: engine.cfg.childLifetimeSeconds,
    replayWindow: 32,
    ...(found.out ? { policy: { selector: found.out.selector, dir: found.out.dir } } : {}),
  };
  return { spec, reqid, reqidIn: inT?.reqid ?? reqid, local: found.local, remote: found.remote };
}

/** The responder's answer parts; `error` set means: answer only that notify. */
export interface ChildAnswer {
  readonly child?: ChildSa;
  readonly sa?: Payload;
  readonly ke?: Payload;
  readonly ts?: Payload[];
  readonly notifies?: Payload[];
  readonly error?: Payload;
}

/**
 * Responder side of one CHILD_SA request. `nonces` are Ni and Nr of the exchange (those of
 * IKE_SA_INIT for the CHILD_SA of IKE_AUTH); `rekeyOf` is the CHILD_SA a REKEY_SA names, whose
 * spec and selectors the new one keeps; `pfsAllowed` is false in IKE_AUTH, which has no KE.
 */
export async function answerChildRequest(
  engine: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  ni: Uint8Array,
  nr: Uint8Array,
  opts: { rekeyOf?: ChildSa; pfsAllowed: boolean; remoteDynamic: Ip },
): Promise<ChildAnswer> {
  const peer = sa.peer!;
  const saPayload = first(payloads, 'SA');
  const tsi = first(payloads, 'TSi');
  const tsr = first(payloads, 'TSr');
  if (!saPayload || !tsi || !tsr) return { error: notify('INVALID_SYNTAX') };
  const mode = findNotify(payloads, 'USE_TRANSPORT_MODE') ? 'transport' : 'tunnel';
  const offeredRemote = fromPayloadSelectors(tsi.selectors);
  const offeredLocal = fromPayloadSelectors(tsr.selectors);
  let choice: ChildChoice | undefined;
  if (opts.rekeyOf) {
    const old = opts.rekeyOf;
    const remote = narrow(offeredRemote, old.remoteTs);
    const local = narrow(offeredLocal, old.localTs);
    if (remote.length && local.length && mode === old.spec.mode) {
      choice = { spec: old.spec, reqid: old.reqid, reqidIn: old.reqidIn, local, remote };
    }
  } else {
    choice = chooseChild(engine, sa, peer, offeredRemote, offeredLocal, mode, opts.remoteDynamic);
  }
  if (!choice) return { error: notify('TS_UNACCEPTABLE') };
  const ke = first(payloads, 'KE');
  const picked = selectProposal(
    saPayload.proposals.filter((p) => p.protocol === PROTOCOL.ESP),
    opts.pfsAllowed ? choice.spec.esp : withoutDh(choice.spec.esp),
    ke ? { preferDh: ke.group } : {},
  );
  if (picked?.proposal.spi.length !== 4) return { error: notify('NO_PROPOSAL_CHOSEN') };
  const suite: Suite = picked.suite;
  let gir: Uint8Array | undefined;
  let keResponse: Payload | undefined;
  if (suite.dh !== undefined) {
    if (!opts.pfsAllowed) return { error: notify('NO_PROPOSAL_CHOSEN') };
    if (!ke || ke.group !== suite.dh) return { error: notify('INVALID_KE_PAYLOAD', u16ToBytes(suite.dh)) };
    const mine = engine.crypto.dh(suite.dh);
    gir = computeSecret(mine, ke.data);
    keResponse = { kind: 'KE', group: suite.dh, data: mine.publicKey };
  }
  const ep = engine.childEndpoints(sa, choice.spec.mode, choice.local, choice.remote);
  const spiIn = await engine.kernel.getSpi({
    src: ep.remote,
    dst: ep.local,
    proto: 'esp',
    reqid: choice.reqidIn,
  });
  const keys = deriveChildKeys(engine.crypto, sa.prfAlgorithm, sa.keys!.skD, suite, ni, nr, gir);
  const child = await engine.installChild(sa, {
    spec: choice.spec,
    suite,
    reqid: choice.reqid,
    reqidIn: choice.reqidIn,
    spiIn,
    spiOut: bytesToU32(picked.proposal.spi),
    larval: { src: ep.remote, dst: ep.local, spi: spiIn, proto: 'esp' },
    localTs: choice.local,
    remoteTs: choice.remote,
    keys,
    initiatorOfExchange: false,
    ...(opts.rekeyOf ? { rekeyOf: opts.rekeyOf } : {}),
  });
  return {
    child,
    sa: { kind: 'SA', proposals: [{ ...picked.proposal, spi: u32ToBytes(spiIn) }] },
    ...(keResponse ? { ke: keResponse } : {}),
    ts: [
      { kind: 'TSi', selectors: choice.remote.map(toPayloadSelector) },
      { kind: 'TSr', selectors: choice.local.map(toPayloadSelector) },
    ],
    notifies: mode === 'transport' ? [notify('USE_TRANSPORT_MODE')] : [],
  };
}
