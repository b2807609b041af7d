/**
 * Security Association payload (RFC 7296 section 3.3): proposals, their transforms and the
 * transform attributes (section 3.3.5; only Key Length is defined, always TV).
 */

import { dataView } from '../bytes.js';
import { ATTR_AF } from '../constants.js';
import { syntaxError } from '../errors.js';
import type { Proposal, SaPayload, Transform, TransformAttribute } from './types.js';

const LAST = 0;
const MORE_PROPOSALS = 2;
const MORE_TRANSFORMS = 3;

function decodeAttributes(b: Uint8Array, start: number, end: number, base: number): TransformAttribute[] {
  const v = dataView(b);
  const out: TransformAttribute[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 4) throw syntaxError('truncated transform attribute', base + at);
    const head = v.getUint16(at);
    const type = head & ~ATTR_AF;
    if (head & ATTR_AF) {
      out.push({ type, value: v.getUint16(at + 2) });
      at += 4;
    } else {
      const len = v.getUint16(at + 2);
      if (at + 4 + len > end) throw syntaxError('transform attribute overruns its transform', base + at);
      out.push({ type, data: b.slice(at + 4, at + 4 + len) });
      at += 4 + len;
    }
  }
  return out;
}

function decodeTransform(
  b: Uint8Array,
  at: number,
  end: number,
  base: number,
): { t: Transform; last: boolean; next: number } {
  const v = dataView(b);
  if (end - at < 8) throw syntaxError('truncated transform', base + at);
  const marker = b[at]!;
  const len = v.getUint16(at + 2);
  if (marker !== LAST && marker !== MORE_TRANSFORMS)
    throw syntaxError(`bad transform Last Substruc ${marker}`, base + at);
  if (len < 8 || at + len > end) throw syntaxError(`bad transform length ${len}`, base + at + 2);
  const attributes = decodeAttributes(b, at + 8, at + len, base);
  const t: Transform = {
    type: b[at + 4]!,
    id: v.getUint16(at + 6),
    ...(attributes.length ? { attributes } : {}),
  };
  return { t, last: marker === LAST, next: at + len };
}

function decodeProposal(
  b: Uint8Array,
  at: number,
  end: number,
  base: number,
): { p: Proposal; last: boolean; next: number } {
  const v = dataView(b);
  if (end - at < 8) throw syntaxError('truncated proposal', base + at);
  const marker = b[at]!;
  const len = v.getUint16(at + 2);
  if (marker !== LAST && marker !== MORE_PROPOSALS)
    throw syntaxError(`bad proposal Last Substruc ${marker}`, base + at);
  if (len < 8 || at + len > end) throw syntaxError(`bad proposal length ${len}`, base + at + 2);
  const num = b[at + 4]!;
  const protocol = b[at + 5]!;
  const spiSize = b[at + 6]!;
  const count = b[at + 7]!;
  const pend = at + len;
  if (at + 8 + spiSize > pend) throw syntaxError('proposal SPI overruns the proposal', base + at + 6);
  const spi = b.slice(at + 8, at + 8 + spiSize);
  const transforms: Transform[] = [];
  let t = at + 8 + spiSize;
  for (let i = 0; i < count; i++) {
    const r = decodeTransform(b, t, pend, base);
    transforms.push(r.t);
    t = r.next;
    if (r.last !== (i === count - 1))
      throw syntaxError('transform Last Substruc disagrees with Num Transforms', base + t);
  }
  if (t !== pend) throw syntaxError('proposal length disagrees with its transforms', base + at + 2);
  return { p: { num, protocol, spi, transforms }, last: marker === LAST, next: pend };
}

/** Decodes an SA payload body; `base` is the body's offset in the message, for error offsets. */
export function decodeSa(body: Uint8Array, base: number): SaPayload {
  const proposals: Proposal[] = [];
  let at = 0;
  if (body.length === 0) throw syntaxError('SA payload without proposals', base);
  for (;;) {
    const r = decodeProposal(body, at, body.length, base);
    proposals.push(r.p);
    at = r.next;
    if (r.last) break;
    if (at >= body.length) throw syntaxError('proposal says more follow, none does', base + at);
  }
  if (at !== body.length) throw syntaxError('bytes after the last proposal', base + at);
  return { kind: 'SA', proposals };
}

function attributesLength(attrs: readonly TransformAttribute[] | undefined): number {
  let n = 0;
  for (const a of attrs ?? []) n += 'value' in a ? 4 : 4 + a.data.length;
  return n;
}

export function encodeSa(p: SaPayload): Uint8Array {
  let total = 0;
  for (const pr of p.proposals) {
    total += 8 + pr.spi.length;
    for (const t of pr.transforms) total += 8 + attributesLength(t.attributes);
  }
  const out = new Uint8Array(total);
  const v = dataView(out);
  let at = 0;
  p.proposals.forEach((pr, pi) => {
    const start = at;
    out[at] = pi === p.proposals.length - 1 ? LAST : MORE_PROPOSALS;
    out[at + 4] = pr.num;
    out[at + 5] = pr.protocol;
    out[at + 6] = pr.spi.length;
    out[at + 7] = pr.transforms.length;
    out.set(pr.spi, at + 8);
    at += 8 + pr.spi.length;
    pr.transforms.forEach((t, ti) => {
      const tstart = at;
      out[at] = ti === pr.transforms.length - 1 ? LAST : MORE_TRANSFORMS;
      out[at + 4] = t.type;
      v.setUint16(at + 6, t.id);
      at += 8;
      for (const a of t.attributes ?? []) {
        if ('value' in a) {
          v.setUint16(at, (a.type & 0x7fff) | ATTR_AF);
          v.setUint16(at + 2, a.value);
          at += 4;
        } else {
          v.setUint16(at, a.type & 0x7fff);
          v.setUint16(at + 2, a.data.length);
          out.set(a.data, at + 4);
          at += 4 + a.data.length;
        }
      }
      v.setUint16(tstart + 2, at - tstart);
    });
    v.setUint16(start + 2, at - start);
  });
  return out;
}
