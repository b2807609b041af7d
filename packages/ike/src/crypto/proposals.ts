/**
 * Proposals in strongSwan's keyword syntax (`aes128-sha256-modp2048`, `aes256gcm16-prfsha384-ecp384`,
 * `chacha20poly1305-prfsha256-x25519`, ESP `aes128gcm16` or `aes256-sha384-modp2048` for PFS) turned
 * into SA payload transforms (RFC 7296 section 3.3), and the two halves of negotiation: a responder
 * choosing one transform of each type (section 2.7), an initiator checking the choice it got back.
 */
import type { DhGroup, EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import type { PrfAlgorithm } from '@mip6sec/crypto';
import {
  ATTR_KEY_LENGTH,
  AUTH_ALG,
  DH_GROUP,
  ENCR,
  ESN,
  PRF,
  PROTOCOL,
  TRANSFORM_TYPE,
} from '../constants.js';
import { IkeError } from '../errors.js';
import type { Proposal, Transform } from '../payloads/types.js';
import {
  DH_GROUPS_SUPPORTED,
  dhName,
  ENCR_ALGORITHMS,
  encNeedsKeyLength,
  INTEG_ALGORITHMS,
  isAead,
  PRF_ALGORITHMS,
} from './algorithms.js';

export type ProposalProtocol = 'ike' | 'esp';

/** One configured proposal: the transforms it offers, in preference order within each type. */
export interface ProposalSpec {
  readonly protocol: ProposalProtocol;
  readonly text: string;
  readonly transforms: readonly Transform[];
}

/** The algorithms of a negotiated proposal, one per transform type. */
export interface Suite {
  readonly protocol: ProposalProtocol;
  readonly encr: EncAlgorithm;
  /** Key Length attribute in bits (AES); absent for ChaCha20-Poly1305 and NULL. */
  readonly encrKeyBits?: number;
  /** Absent with an AEAD cipher. */
  readonly integ?: IntegAlgorithm;
  /** IKE only. */
  readonly prf?: PrfAlgorithm;
  /** IKE always; ESP when PFS was negotiated. */
  readonly dh?: DhGroup;
  /** ESP only. */
  readonly esn?: boolean;
}

const keyLen = (bits: number) => [{ type: ATTR_KEY_LENGTH, value: bits }];
const encr = (id: number, bits?: number): Transform =>
  bits === undefined
    ? { type: TRANSFORM_TYPE.ENCR, id }
    : { type: TRANSFORM_TYPE.ENCR, id, attributes: keyLen(bits) };
const of = (type: number, id: number): Transform => ({ type, id });

const INTEG_KEYWORDS: Record<string, number> = {
  sha: AUTH_ALG.AUTH_HMAC_SHA1_96,
  sha1: AUTH_ALG.AUTH_HMAC_SHA1_96,
  sha256: AUTH_ALG.AUTH_HMAC_SHA2_256_128,
  sha2_256: AUTH_ALG.AUTH_HMAC_SHA2_256_128,
  sha384: AUTH_ALG.AUTH_HMAC_SHA2_384_192,
  sha2_384: AUTH_ALG.AUTH_HMAC_SHA2_384_192,
  sha512: AUTH_ALG.AUTH_HMAC_SHA2_512_256,
  sha2_512: AUTH_ALG.AUTH_HMAC_SHA2_512_256,
  aesxcbc: AUTH_ALG.AUTH_AES_XCBC_96,
};

const PRF_KEYWORDS: Record<string, number> = {
  prfsha1: PRF.PRF_HMAC_SHA1,
  prfsha256: PRF.PRF_HMAC_SHA2_256,
  prfsha384: PRF.PRF_HMAC_SHA2_384,
  prfsha512: PRF.PRF_HMAC_SHA2_512,
  prfaesxcbc: PRF.PRF_AES128_XCBC,
};

/** strongSwan derives an IKE PRF from the integrity algorithm when none is named. */
const PRF_FROM_INTEG: Record<number, number> = {
  [AUTH_ALG.AUTH_HMAC_SHA1_96]: PRF.PRF_HMAC_SHA1,
  [AUTH_ALG.AUTH_HMAC_SHA2_256_128]: PRF.PRF_HMAC_SHA2_256,
  [AUTH_ALG.AUTH_HMAC_SHA2_384_192]: PRF.PRF_HMAC_SHA2_384,
  [AUTH_ALG.AUTH_HMAC_SHA2_512_256]: PRF.PRF_HMAC_SHA2_512,
  [AUTH_ALG.AUTH_AES_XCBC_96]: PRF.PRF_AES128_XCBC,
};

const DH_KEYWORDS: Record<string, number> = {
  modp2048: DH_GROUP.MODP_2048,
  ecp256: DH_GROUP.ECP_256,
  ecp384: DH_GROUP.ECP_384,
  curve25519: DH_GROUP.CURVE25519,
  x25519: DH_GROUP.CURVE25519,
};

function parseEncr(word: string): Transform | undefined {
  const cbc = /^aes(128|192|256)?$/.exec(word);
  if (cbc) return encr(ENCR.ENCR_AES_CBC, Number(cbc[1] ?? 128));
  const gcm = /^aes(128|192|256)?gcm(16|128)?$/.exec(word);
  if (gcm) return encr(ENCR.ENCR_AES_GCM_16, Number(gcm[1] ?? 128));
  if (word === 'chacha20poly1305') return encr(ENCR.ENCR_CHACHA20_POLY1305);
  if (word === 'null') return encr(ENCR.ENCR_NULL);
  return undefined;
}

/** Parses one proposal; throws IkeError('EINVAL') naming the keyword it cannot use. */
export function parseProposal(text: string, protocol: ProposalProtocol): ProposalSpec {
  const bad = (why: string) => new IkeError('EINVAL', `${protocol} proposal "${text}": ${why}`);
  const enc: Transform[] = [];
  const integ: Transform[] = [];
  const prf: Transform[] = [];
  const dh: Transform[] = [];
  const esn: Transform[] = [];
  const words = text.trim().toLowerCase().split('-');
  for (const word of words) {
    const e = parseEncr(word);
    if (e) enc.push(e);
    else if (Object.hasOwn(INTEG_KEYWORDS, word)) integ.push(of(TRANSFORM_TYPE.INTEG, INTEG_KEYWORDS[word]!));
    else if (Object.hasOwn(PRF_KEYWORDS, word)) prf.push(of(TRANSFORM_TYPE.PRF, PRF_KEYWORDS[word]!));
    else if (Object.hasOwn(DH_KEYWORDS, word)) dh.push(of(TRANSFORM_TYPE.DH, DH_KEYWORDS[word]!));
    else if (word === 'esn') esn.push(of(TRANSFORM_TYPE.ESN, ESN.ESN));
    else if (word === 'noesn') esn.push(of(TRANSFORM_TYPE.ESN, ESN.NO_ESN));
    else throw bad(`unknown or unsupported keyword "${word}"`);
  }
  if (enc.length === 0) throw bad('no encryption algorithm');
  const aead = enc.map((t) => isAead(ENCR_ALGORITHMS.get(t.id)!));
  if (aead.some((a) => a !== aead[0])) throw bad('AEAD and non-AEAD ciphers cannot share a proposal');
  if (aead[0] && integ.length) throw bad('an AEAD cipher takes no integrity algorithm');
  if (!aead[0] && integ.length === 0) throw bad('no integrity algorithm');
  if (protocol === 'ike') {
    if (enc.some((t) => t.id === ENCR.ENCR_NULL)) throw bad('IKE cannot use null encryption');
    if (esn.length) throw bad('ESN is an ESP transform');
    if (prf.length === 0) {
      if (aead[0]) throw bad('an AEAD proposal must name its PRF (prfsha256, ...)');
      for (const t of integ) {
        const id = PRF_FROM_INTEG[t.id]!;
        if (!prf.some((p) => p.id === id)) prf.push(of(TRANSFORM_TYPE.PRF, id));
      }
    }
    if (dh.length === 0) throw bad('no key exchange group');
  } else {
    if (prf.length) throw bad('a PRF is an IKE transform');
    if (esn.length === 0) esn.push(of(TRANSFORM_TYPE.ESN, ESN.NO_ESN));
  }
  return { protocol, text, transforms: [...enc, ...prf, ...integ, ...dh, ...esn] };
}

export function parseProposals(texts: readonly string[], protocol: ProposalProtocol): ProposalSpec[] {
  if (texts.length === 0) throw new IkeError('EINVAL', `no ${protocol} proposals configured`);
  return texts.map((t) => parseProposal(t, protocol));
}

/** SA payload proposals numbered from 1, each with the given SPI. */
export function toProposals(specs: readonly ProposalSpec[], spi: Uint8Array): Proposal[] {
  return specs.map((s, i) => ({
    num: i + 1,
    protocol: s.protocol === 'ike' ? PROTOCOL.IKE : PROTOCOL.ESP,
    spi,
    transforms: s.transforms,
  }));
}

/** The DH group the first proposal prefers (what goes in the first KE payload). */
export function preferredDh(specs: readonly ProposalSpec[]): number | undefined {
  for (const s of specs) for (const t of s.transforms) if (t.type === TRANSFORM_TYPE.DH) return t.id;
  return undefined;
}

/** Every DH group the proposals allow. */
export function allDh(specs: readonly ProposalSpec[]): Set<number> {
  const out = new Set<number>();
  for (const s of specs)
    for (const t of s.transforms) if (t.type === TRANSFORM_TYPE.DH && t.id !== 0) out.add(t.id);
  return out;
}

function keyBits(t: Transform): number | undefined {
  const attributes = t.attributes;
  if (attributes === undefined) return undefined;
  for (const a of attributes) if (a.type === ATTR_KEY_LENGTH && 'value' in a) return a.value;
  return undefined;
}

function sameTransform(a: Transform, b: Transform): boolean {
  return a.type === b.type && a.id === b.id && keyBits(a) === keyBits(b);
}

/** Transform types of each protocol (RFC 7296 section 3.3.3): IKE has no ESN, ESP no PRF. */
const TYPES: Record<number, readonly number[]> = {
  [PROTOCOL.IKE]: [TRANSFORM_TYPE.ENCR, TRANSFORM_TYPE.PRF, TRANSFORM_TYPE.INTEG, TRANSFORM_TYPE.DH],
  [PROTOCOL.ESP]: [TRANSFORM_TYPE.ENCR, TRANSFORM_TYPE.INTEG, TRANSFORM_TYPE.DH, TRANSFORM_TYPE.ESN],
};
/** Types where "absent" and "transform ID 0 (NONE)" mean the same. */
const OPTIONAL_TYPES = new Set<number>([TRANSFORM_TYPE.INTEG, TRANSFORM_TYPE.DH, TRANSFORM_TYPE.ESN]);

function ofType(p: { transforms: readonly Transform[] }, type: number): Transform[] {
  const list: Transform[] = [];
  for (const t of p.transforms) if (t.type === type) list.push(t);
  if (list.length === 0 && OPTIONAL_TYPES.has(type)) list.push({ type, id: 0 });
  return list;
}

/** Whether `list` holds a transform equal to `t` (a loop: selection runs for every IKE_SA_INIT). */
function includesTransform(list: readonly Transform[], t: Transform): boolean {
  for (const x of list) if (sameTransform(x, t)) return true;
  return false;
}

/** The first of `ours` that `theirs` also holds. */
function firstShared(ours: readonly Transform[], theirs: readonly Transform[]): Transform | undefined {
  for (const t of ours) if (includesTransform(theirs, t)) return t;
  return undefined;
}

/**
 * Responder side of RFC 7296 section 2.7: walks our proposals in order, and for each the offered
 * ones in order, taking in every transform type the first of ours the peer also offered. With
 * `preferDh` (the group of the peer's KE payload) that group wins when both sides allow it, which
 * saves an INVALID_KE_PAYLOAD round trip. Returns the chosen proposal (offered number and SPI,
 * one transform per type) and its suite, or undefined.
 */
export function selectProposal(
  offered: readonly Proposal[],
  mine: readonly ProposalSpec[],
  opts: { preferDh?: number } = {},
): { proposal: Proposal; suite: Suite } | undefined {
  for (const spec of mine) {
    const protocol = spec.protocol === 'ike' ? PROTOCOL.IKE : PROTOCOL.ESP;
    for (const p of offered) {
      if (p.protocol !== protocol) continue;
      const chosen: Transform[] = [];
      let ok = true;
      for (const type of TYPES[protocol]!) {
        const ours = ofType(spec, type);
        const theirs = ofType(p, type);
        if (ours.length === 0 && theirs.length === 0) continue;
        let pick: Transform | undefined;
        if (type === TRANSFORM_TYPE.DH && opts.preferDh !== undefined) {
          const want = { type, id: opts.preferDh };
          if (includesTransform(ours, want) && includesTransform(theirs, want)) pick = want;
        }
        pick ??= firstShared(ours, theirs);
        if (!pick) {
          ok = false;
          break;
        }
        if (!(pick.id === 0 && OPTIONAL_TYPES.has(type) && type !== TRANSFORM_TYPE.ESN)) chosen.push(pick);
      }
      if (!ok) continue;
      const proposal: Proposal = { num: p.num, protocol, spi: p.spi, transforms: chosen };
      try {
        return { proposal, suite: suiteOf(proposal) };
      } catch {
        // A transform both sides named but no provider implements: try the next combination.
      }
    }
  }
  return undefined;
}

/**
 * Initiator side: the responder's single proposal must name one of ours by number and carry one
 * transform of each type, each taken from that proposal. Throws NO_PROPOSAL_CHOSEN otherwise.
 */
export function acceptChosenProposal(offered: readonly Proposal[], chosen: readonly Proposal[]): Suite {
  const bad = (why: string) =>
    new IkeError('NO_PROPOSAL_CHOSEN', `responder's proposal unacceptable: ${why}`);
  if (chosen.length !== 1) throw bad(`${chosen.length} proposals in the response`);
  const c = chosen[0]!;
  const mine = offered.find((p) => p.num === c.num && p.protocol === c.protocol);
  if (!mine) throw bad(`proposal #${c.num} was not offered`);
  const types = TYPES[c.protocol] ?? [];
  if (c.transforms.some((t) => !types.includes(t.type)))
    throw bad('a transform of a type the protocol does not have');
  for (const type of types) {
    const got = c.transforms.filter((t) => t.type === type);
    if (got.length > 1) throw bad(`${got.length} transforms of type ${type}`);
    const t = got[0] ?? (OPTIONAL_TYPES.has(type) ? { type, id: 0 } : undefined);
    if (!t) {
      if (mine.transforms.some((m) => m.type === type)) throw bad(`no transform of type ${type}`);
      continue;
    }
    if (!ofType(mine, type).some((m) => sameTransform(m, t)))
      throw bad(`transform ${type}/${t.id} was not offered`);
  }
  return suiteOf(c);
}

/** The suite a single-choice proposal describes; throws NO_PROPOSAL_CHOSEN for a transform we lack. */
export function suiteOf(p: Proposal): Suite {
  const bad = (why: string) => new IkeError('NO_PROPOSAL_CHOSEN', why);
  const protocol: ProposalProtocol = p.protocol === PROTOCOL.IKE ? 'ike' : 'esp';
  const one = (type: number) => p.transforms.find((t) => t.type === type);
  const e = one(TRANSFORM_TYPE.ENCR);
  const encAlg = e && ENCR_ALGORITHMS.get(e.id);
  if (!e || !encAlg) throw bad(`unsupported encryption transform ${e?.id}`);
  const bits = keyBits(e);
  if (
    encNeedsKeyLength(encAlg) ? bits === undefined || ![128, 192, 256].includes(bits) : bits !== undefined
  ) {
    throw bad(`bad key length ${bits} for ${encAlg}`);
  }
  const i = one(TRANSFORM_TYPE.INTEG);
  const integ = i && i.id !== 0 ? INTEG_ALGORITHMS.get(i.id) : undefined;
  if (i && i.id !== 0 && !integ) throw bad(`unsupported integrity transform ${i.id}`);
  if (isAead(encAlg) === (integ !== undefined))
    throw bad(`${encAlg} ${integ ? 'with' : 'without'} an integrity transform`);
  const d = one(TRANSFORM_TYPE.DH);
  const dh = d && d.id !== 0 ? d.id : undefined;
  if (dh !== undefined && !DH_GROUPS_SUPPORTED.has(dh)) throw bad(`unsupported DH group ${dh}`);
  const suite: { -readonly [K in keyof Suite]: Suite[K] } = { protocol, encr: encAlg };
  if (bits !== undefined) suite.encrKeyBits = bits;
  if (integ) suite.integ = integ;
  if (dh !== undefined) suite.dh = dh as DhGroup;
  if (protocol === 'ike') {
    const r = one(TRANSFORM_TYPE.PRF);
    const prf = r && PRF_ALGORITHMS.get(r.id);
    if (!prf) throw bad(`unsupported or missing PRF ${r?.id}`);
    suite.prf = prf;
    if (dh === undefined) throw bad('IKE proposal without a DH group');
    if (encAlg === 'null') throw bad('IKE cannot use null encryption');
  } else {
    const s = one(TRANSFORM_TYPE.ESN);
    suite.esn = s?.id === ESN.ESN;
  }
  return suite;
}

const PRF_NAMES: Record<PrfAlgorithm, string> = {
  'hmac-sha1': 'prfsha1',
  'hmac-sha2-256': 'prfsha256',
  'hmac-sha2-384': 'prfsha384',
  'hmac-sha2-512': 'prfsha512',
  'aes128-xcbc': 'prfaesxcbc',
};
const INTEG_NAMES: Record<IntegAlgorithm, string> = {
  none: '',
  'hmac-sha1-96': 'sha1',
  'hmac-sha2-256-128': 'sha256',
  'hmac-sha2-384-192': 'sha384',
  'hmac-sha2-512-256': 'sha512',
  'aes-xcbc-96': 'aesxcbc',
};

/** The suite in strongSwan's keyword syntax, e.g. `aes256gcm16-prfsha384-ecp384`. */
export function suiteName(s: Suite): string {
  const enc =
    s.encr === 'aes-cbc'
      ? `aes${s.encrKeyBits}`
      : s.encr === 'aes-gcm-16'
        ? `aes${s.encrKeyBits}gcm16`
        : s.encr === 'chacha20-poly1305'
          ? 'chacha20poly1305'
          : 'null';
  const parts = [enc];
  if (s.integ) parts.push(INTEG_NAMES[s.integ]);
  if (s.prf) parts.push(PRF_NAMES[s.prf]);
  if (s.dh) parts.push(dhName(s.dh));
  if (s.protocol === 'esp') parts.push(s.esn ? 'esn' : 'noesn');
  return parts.join('-');
}

/** The proposals without their DH transforms: IKE_AUTH has no KE, so its CHILD_SA cannot use PFS. */
export function withoutDh(specs: readonly ProposalSpec[]): ProposalSpec[] {
  return specs.map((s) => ({ ...s, transforms: s.transforms.filter((t) => t.type !== TRANSFORM_TYPE.DH) }));
}
