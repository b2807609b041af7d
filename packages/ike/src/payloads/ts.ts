/**
 * Traffic Selector payloads TSi/TSr (RFC 7296 section 3.13). Address ranges of types 7 and 8
 * are decoded; other selector types are kept as bytes so they survive a round trip.
 */
import { ipFromBytes, ipToBytes } from '@mip6sec/core';
import { dataView } from '../bytes.js';
import { TS_TYPE } from '../constants.js';
import { IkeError, syntaxError } from '../errors.js';
import type { TrafficSelector, TsPayload } from './types.js';

const V4_LENGTH = 16;
const V6_LENGTH = 40;

export function decodeTs(kind: 'TSi' | 'TSr', body: Uint8Array, base: number): TsPayload {
  if (body.length < 4) throw syntaxError('truncated traffic selector payload', base);
  const v = dataView(body);
  const count = body[0]!;
  const selectors: TrafficSelector[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (body.length - at < 4) throw syntaxError('truncated traffic selector', base + at);
    const tsType = body[at]!;
    const ipProto = body[at + 1]!;
    const len = v.getUint16(at + 2);
    if (len < 4 || at + len > body.length) throw syntaxError(`bad selector length ${len}`, base + at + 2);
    if (tsType === TS_TYPE.TS_IPV4_ADDR_RANGE || tsType === TS_TYPE.TS_IPV6_ADDR_RANGE) {
      const want = tsType === TS_TYPE.TS_IPV4_ADDR_RANGE ? V4_LENGTH : V6_LENGTH;
      if (len !== want)
        throw syntaxError(`selector of type ${tsType} must be ${want} bytes, is ${len}`, base + at + 2);
      const family = tsType === TS_TYPE.TS_IPV4_ADDR_RANGE ? 4 : 6;
      const alen = family === 4 ? 4 : 16;
      selectors.push({
        tsType,
        ipProto,
        startPort: v.getUint16(at + 4),
        endPort: v.getUint16(at + 6),
        start: ipFromBytes(body, at + 8, family),
        end: ipFromBytes(body, at + 8 + alen, family),
      });
    } else {
      selectors.push({ tsType, ipProto, data: body.slice(at + 4, at + len) });
    }
    at += len;
  }
  if (at !== body.length)
    throw syntaxError('traffic selector payload length disagrees with Number of TSs', base);
  return { kind, selectors };
}

export function encodeTs(p: TsPayload): Uint8Array {
  let total = 4;
  for (const s of p.selectors)
    total += 'data' in s ? 4 + s.data.length : s.tsType === 7 ? V4_LENGTH : V6_LENGTH;
  const out = new Uint8Array(total);
  const v = dataView(out);
  out[0] = p.selectors.length;
  let at = 4;
  for (const s of p.selectors) {
    out[at] = s.tsType;
    out[at + 1] = s.ipProto;
    if ('data' in s) {
      v.setUint16(at + 2, 4 + s.data.length);
      out.set(s.data, at + 4);
      at += 4 + s.data.length;
      continue;
    }
    const start = ipToBytes(s.start);
    const end = ipToBytes(s.end);
    const alen = s.tsType === 7 ? 4 : 16;
    if (start.length !== alen || end.length !== alen) {
      throw new IkeError('EINVAL', `selector type ${s.tsType} needs IPv${alen === 4 ? 4 : 6} addresses`);
    }
    v.setUint16(at + 2, 8 + 2 * alen);
    v.setUint16(at + 4, s.startPort);
    v.setUint16(at + 6, s.endPort);
    out.set(start, at + 8);
    out.set(end, at + 8 + alen);
    at += 8 + 2 * alen;
  }
  return out;
}
