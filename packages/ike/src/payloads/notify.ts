/** Notify payload (RFC 7296 section 3.10): Protocol ID, SPI Size, Notify Message Type, SPI, data. */
import { setU16, u16At } from '../bytes.js';
import { syntaxError } from '../errors.js';
import type { NotifyPayload } from './types.js';

export function decodeNotify(body: Uint8Array, base: number): NotifyPayload {
  if (body.length < 4) throw syntaxError('truncated Notify payload', base);
  const spiSize = body[1]!;
  if (4 + spiSize > body.length) throw syntaxError('Notify SPI overruns the payload', base + 1);
  return {
    kind: 'N',
    protocol: body[0]!,
    spi: body.slice(4, 4 + spiSize),
    notify: u16At(body, 2),
    data: body.slice(4 + spiSize),
  };
}

export function encodeNotify(p: NotifyPayload): Uint8Array {
  const out = new Uint8Array(4 + p.spi.length + p.data.length);
  out[0] = p.protocol;
  out[1] = p.spi.length;
  setU16(out, 2, p.notify);
  out.set(p.spi, 4);
  out.set(p.data, 4 + p.spi.length);
  return out;
}
