/**
 * `mip6sec kernel replay`: runs a script against a fresh simulated kernel on a virtual clock and reports
 * one JSON object per command. Commands, one per line (`#` comments and blank lines ignored):
 *
 * - `send SOCKET HEX`: writes a PF_KEY message from the named socket (opened on first use). Reports the
 *   request's errno (0 or a name: the write's own failure for a bad base header, else the sadb_msg_errno
 *   of the kernel's error reply) and every message any socket received, decoded to the codec's JSON.
 * - `packet out SRC DST PROTO [SPORT DPORT | MHTYPE]`: an outbound packet through the SPD (PROTO a number
 *   or udp/tcp/icmpv6/mh); reports the verdict, the bytes sent as hex, and any ACQUIRE raised.
 * - `packet in HEX`: an inbound packet through the SAD and SPD; reports the verdict.
 * - `advance SECONDS`: moves the clock; lifetimes and larval SAs expire (EXPIRE messages are reported).
 * - `dump`: the SPD and SAD.
 *
 * A bad line is reported as `{"line":N,"error":"..."}` and the script goes on.
 */
import {
  canonicalIp,
  IPPROTO_ICMPV6,
  IPPROTO_MH,
  IPPROTO_TCP,
  IPPROTO_UDP,
  isIp,
  VirtualClock,
} from '@mip6sec/core';
import { decode, fromHex, toHex, toJson } from '@mip6sec/pfkey-codec';
import { codeOf } from './errors.js';
import { buildUdp } from './ip-packet.js';
import { type Json, kernelJson } from './kernel-json.js';
import { PfkeyKernel, type PfkeyKernelOptions } from './pfkey-kernel.js';
import type { PfkeySocket } from './pfkey-socket.js';

export type ReplayOutput = Record<string, unknown>;

const PROTO_NAMES: Readonly<Record<string, number>> = {
  udp: IPPROTO_UDP,
  tcp: IPPROTO_TCP,
  icmpv6: IPPROTO_ICMPV6,
  mh: IPPROTO_MH,
};

class LineError extends Error {}

function protoOf(text: string): number {
  const named = PROTO_NAMES[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) throw new LineError(`protocol ${JSON.stringify(text)}`);
  return Number(text);
}

function portOf(text: string | undefined, what: string): number {
  if (text === undefined) throw new LineError(`${what} is missing`);
  if (!/^\d{1,5}$/.test(text) || Number(text) > 0xffff)
    throw new LineError(`${what} ${JSON.stringify(text)}`);
  return Number(text);
}

function address(text: string | undefined, what: string): string {
  if (text === undefined || !isIp(text))
    throw new LineError(`${what} ${JSON.stringify(text)} is not an address`);
  return canonicalIp(text);
}

function hexOf(text: string | undefined): Uint8Array {
  const bytes = text === undefined ? undefined : fromHex(text);
  if (!bytes) throw new LineError(`${JSON.stringify(text)} is not hex`);
  return bytes;
}

/** The upper-layer PDU `packet out` sends: headers with the given ports or MH type, a little data. */
function payloadFor(src: string, dst: string, proto: number, args: string[]): Uint8Array {
  if (proto === IPPROTO_UDP)
    return buildUdp(
      src,
      dst,
      portOf(args[0], 'source port'),
      portOf(args[1], 'destination port'),
      new Uint8Array(8),
    );
  if (proto === IPPROTO_TCP) {
    const tcp = new Uint8Array(20);
    const dv = new DataView(tcp.buffer);
    dv.setUint16(0, portOf(args[0], 'source port'));
    dv.setUint16(2, portOf(args[1], 'destination port'));
    tcp[12] = 5 << 4;
    return tcp;
  }
  if (proto === IPPROTO_MH) {
    // RFC 6275 6.1.1: payload proto 59, header length 0 (8 bytes), MH type, reserved, checksum, data.
    const type = args[0] === undefined ? 5 : portOf(args[0], 'MH type');
    if (type > 255) throw new LineError(`MH type ${type}`);
    return Uint8Array.of(59, 0, type, 0, 0, 0, 0, 0);
  }
  if (proto === IPPROTO_ICMPV6) return Uint8Array.of(128, 0, 0, 0, 0, 0, 0, 1);
  return new Uint8Array(8);
}

export interface ReplayOptions {
  /** Kernel options (the clock is the replay's own virtual clock). */
  readonly kernel?: Omit<PfkeyKernelOptions, 'clock'>;
}

/** Runs a replay script; `out` gets one JSON-able object per command or bad line. */
export async function runReplay(
  lines: AsyncIterable<string> | Iterable<string>,
  out: (obj: ReplayOutput) => void,
  options: ReplayOptions = {},
): Promise<void> {
  const clock = new VirtualClock();
  const kernel = new PfkeyKernel({ ...options.kernel, clock });
  const sockets = new Map<string, PfkeySocket>();
  const socket = (name: string): PfkeySocket => {
    let s = sockets.get(name);
    if (!s) {
      s = kernel.openSocket(name);
      sockets.set(name, s);
    }
    return s;
  };
  const delivered = (): Json[] => {
    const list: Json[] = [];
    for (const [name, s] of sockets) {
      for (let b = s.read(); b; b = s.read()) {
        let message: Json;
        try {
          message = toJson(decode(b, { origin: 'kernel' })) as Json;
        } catch (e) {
          message = { undecodable: toHex(b), error: (e as Error).message };
        }
        list.push({ socket: name, message });
      }
    }
    return list;
  };

  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [cmd, ...args] = line.split(/\s+/);
      try {
        out({ line: n, ...runCommand(cmd!, args) });
      } catch (e) {
        out({ line: n, error: e instanceof LineError ? e.message : `${codeOf(e)}: ${(e as Error).message}` });
      }
    }
  } finally {
    kernel.close();
  }

  function runCommand(cmd: string, args: string[]): ReplayOutput {
    switch (cmd) {
      case 'send': {
        if (args.length !== 2) throw new LineError('usage: send SOCKET HEX');
        const s = socket(args[0]!);
        const bytes = hexOf(args[1]);
        let errno: string | number = 0;
        try {
          s.write(bytes);
        } catch (e) {
          errno = codeOf(e);
        }
        const got = delivered();
        if (errno === 0) {
          // Linux's send() succeeds once the header parsed; the failure is in the error reply to the writer.
          const reply = got.find((d) => {
            const m = (d as { socket: string; message: { errno?: unknown } }).message;
            return (d as { socket: string }).socket === args[0] && m.errno !== undefined && m.errno !== 0;
          });
          if (reply) errno = (reply as { message: { errno: string | number } }).message.errno;
        }
        return { cmd: 'send', socket: args[0], errno, delivered: got };
      }
      case 'packet':
        return args[0] === 'out'
          ? packetOut(args.slice(1))
          : args[0] === 'in'
            ? packetIn(args.slice(1))
            : badPacket();
      case 'advance': {
        const s = args[0];
        if (s === undefined || !/^\d+(\.\d+)?$/.test(s)) throw new LineError('usage: advance SECONDS');
        clock.advance(Number(s) * 1000);
        return { cmd: 'advance', seconds: Number(s), now: clock.now() / 1000, delivered: delivered() };
      }
      case 'dump':
        return { cmd: 'dump', ...kernelJson(kernel) };
      default:
        throw new LineError(`unknown command ${JSON.stringify(cmd)}`);
    }
  }

  function badPacket(): never {
    throw new LineError('usage: packet out SRC DST PROTO [SPORT DPORT | MHTYPE] | packet in HEX');
  }

  function packetOut(args: string[]): ReplayOutput {
    if (args.length < 3) badPacket();
    const src = address(args[0], 'source');
    const dst = address(args[1], 'destination');
    const proto = protoOf(args[2]!);
    const payload = payloadFor(src, dst, proto, args.slice(3));
    const r = kernel.datapath.output({ src, dst, proto, payload });
    const base = { cmd: 'packet out', result: r.kind } as ReplayOutput;
    if (r.kind === 'send' || r.kind === 'bypass') base.bytes = toHex(r.bytes);
    if (r.kind === 'discard') base.reason = r.reason;
    return { ...base, delivered: delivered() };
  }

  function packetIn(args: string[]): ReplayOutput {
    if (args.length !== 1) badPacket();
    const r = kernel.datapath.input(hexOf(args[0]));
    const base = { cmd: 'packet in', result: r.kind } as ReplayOutput;
    if (r.kind === 'deliver') {
      const p = r.packet;
      base.packet = {
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        payload: toHex(p.payload),
        ...(p.homeAddressOption ? { homeAddressOption: p.homeAddressOption } : {}),
        ...(p.routingHeader2 ? { routingHeader2: p.routingHeader2 } : {}),
        ...(p.sa ? { sa: { ...p.sa, spi: `0x${p.sa.spi.toString(16).padStart(8, '0')}` } } : {}),
      };
    } else if (r.kind === 'forward') base.bytes = toHex(r.bytes);
    else {
      base.reason = r.reason;
      base.code = r.code;
    }
    return { ...base, delivered: delivered() };
  }
}
