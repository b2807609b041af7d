/**
 * Reading `swanctl --pretty` output. --pretty puts one vici element per line, so values may hold
 * spaces (distinguished names) without ambiguity, which --raw cannot promise.
 */

export type ViciValue = string | readonly string[] | ViciSection;
export interface ViciSection {
  readonly [key: string]: ViciValue;
}

/** One top-level message, e.g. `list-sa event { ... }` or `list-sas reply { ... }`. */
export interface ViciMessage {
  readonly kind: string;
  readonly body: ViciSection;
}

export class SwanctlOutputError extends Error {
  readonly code = 'EBADMSG';
  constructor(message: string) {
    super(message);
    this.name = 'SwanctlOutputError';
  }
}

/** Parses every message in `swanctl --pretty` output; lines outside messages (log lines) are ignored. */
export function parsePretty(text: string): ViciMessage[] {
  const messages: ViciMessage[] = [];
  const lines = text.split('\n');
  let i = 0;
  const fail = (why: string): never => {
    throw new SwanctlOutputError(`swanctl output line ${i + 1}: ${why}: ${JSON.stringify(lines[i] ?? '')}`);
  };
  // Reads section members until the closing brace; `i` points after the opening line.
  const section = (): ViciSection => {
    const out: Record<string, ViciValue> = {};
    for (; i < lines.length; i++) {
      const line = (lines[i] ?? '').trim();
      if (line === '') continue;
      if (line === '}') return out;
      const open = /^(\S+) \{$/.exec(line);
      if (open) {
        i++;
        out[open[1]!] = section();
        continue;
      }
      const list = /^(\S+) = \[$/.exec(line);
      if (list) {
        const items: string[] = [];
        for (i++; i < lines.length && (lines[i] ?? '').trim() !== ']'; i++)
          items.push((lines[i] ?? '').trim());
        if (i >= lines.length) fail('unterminated list');
        out[list[1]!] = items;
        continue;
      }
      const kv = /^(\S+) =(?: (.*))?$/.exec(line);
      if (!kv) fail('not a vici element');
      out[kv![1]!] = kv![2] ?? '';
    }
    return fail('unterminated section');
  };
  for (; i < lines.length; i++) {
    const m = /^(\S.*) \{$/.exec(lines[i] ?? '');
    if (!m) continue;
    const kind = m[1]!;
    i++;
    messages.push({ kind, body: section() });
  }
  return messages;
}

export interface ChildSaInfo {
  /** The key swanctl lists it under, `<name>-<uniqueid>`. */
  readonly key: string;
  readonly name: string;
  readonly uniqueId: number;
  readonly reqid: number;
  /** INSTALLED, REKEYING, REKEYED, DELETING, DELETED, ... */
  readonly state: string;
  /** TUNNEL, TRANSPORT, BEET */
  readonly mode: string;
  readonly protocol: string;
  readonly encap: boolean;
  /** SPIs as swanctl prints them: 8 lowercase hex digits, network byte order. */
  readonly spiIn: string;
  readonly spiOut: string;
  readonly encrAlg?: string;
  readonly encrKeysize?: number;
  readonly integAlg?: string;
  readonly integKeysize?: number;
  /** Present when the CHILD_SA was made (or rekeyed) with PFS. */
  readonly dhGroup?: string;
  readonly esn: boolean;
  readonly bytesIn: number;
  readonly packetsIn: number;
  readonly bytesOut: number;
  readonly packetsOut: number;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly raw: ViciSection;
}

export interface IkeSaInfo {
  /** Connection name. */
  readonly name: string;
  readonly uniqueId: number;
  /** ESTABLISHED, CONNECTING, REKEYING, DELETING, ... */
  readonly state: string;
  readonly localHost: string;
  readonly localPort: number;
  readonly localId: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly remoteId: string;
  readonly initiator: boolean;
  /** 16 lowercase hex digits. */
  readonly initiatorSpi: string;
  readonly responderSpi: string;
  readonly natLocal: boolean;
  readonly natRemote: boolean;
  readonly natFake: boolean;
  readonly natAny: boolean;
  readonly encrAlg?: string;
  readonly encrKeysize?: number;
  readonly integAlg?: string;
  readonly integKeysize?: number;
  readonly prfAlg?: string;
  readonly dhGroup?: string;
  readonly children: readonly ChildSaInfo[];
  readonly raw: ViciSection;
}

function str(s: ViciSection, key: string): string | undefined {
  const v = s[key];
  return typeof v === 'string' ? v : undefined;
}

function need(s: ViciSection, key: string, where: string): string {
  const v = str(s, key);
  if (v === undefined) throw new SwanctlOutputError(`${where}: '${key}' is missing`);
  return v;
}

function num(s: ViciSection, key: string): number | undefined {
  const v = str(s, key);
  return v === undefined || v === '' ? undefined : Number(v);
}

function flag(s: ViciSection, key: string): boolean {
  const v = str(s, key);
  return v === 'yes' || v === '1';
}

function list(s: ViciSection, key: string): readonly string[] {
  const v = s[key];
  return Array.isArray(v) ? (v as readonly string[]) : [];
}

function section(v: ViciValue | undefined): ViciSection | undefined {
  return typeof v === 'object' && !Array.isArray(v) ? (v as ViciSection) : undefined;
}

function childSa(key: string, c: ViciSection): ChildSaInfo {
  const where = `CHILD_SA ${key}`;
  return {
    key,
    name: need(c, 'name', where),
    uniqueId: Number(need(c, 'uniqueid', where)),
    reqid: num(c, 'reqid') ?? 0,
    state: need(c, 'state', where),
    mode: need(c, 'mode', where),
    protocol: need(c, 'protocol', where),
    encap: flag(c, 'encap'),
    spiIn: need(c, 'spi-in', where),
    spiOut: need(c, 'spi-out', where),
    encrAlg: str(c, 'encr-alg'),
    encrKeysize: num(c, 'encr-keysize'),
    integAlg: str(c, 'integ-alg'),
    integKeysize: num(c, 'integ-keysize'),
    dhGroup: str(c, 'dh-group'),
    esn: flag(c, 'esn'),
    bytesIn: num(c, 'bytes-in') ?? 0,
    packetsIn: num(c, 'packets-in') ?? 0,
    bytesOut: num(c, 'bytes-out') ?? 0,
    packetsOut: num(c, 'packets-out') ?? 0,
    localTs: list(c, 'local-ts'),
    remoteTs: list(c, 'remote-ts'),
    raw: c,
  };
}

function ikeSa(name: string, s: ViciSection): IkeSaInfo {
  const where = `IKE_SA ${name}`;
  const children = section(s['child-sas']) ?? {};
  return {
    name,
    uniqueId: Number(need(s, 'uniqueid', where)),
    state: need(s, 'state', where),
    localHost: need(s, 'local-host', where),
    localPort: num(s, 'local-port') ?? 0,
    localId: str(s, 'local-id') ?? '',
    remoteHost: need(s, 'remote-host', where),
    remotePort: num(s, 'remote-port') ?? 0,
    remoteId: str(s, 'remote-id') ?? '',
    initiator: flag(s, 'initiator'),
    initiatorSpi: need(s, 'initiator-spi', where),
    responderSpi: str(s, 'responder-spi') ?? '0000000000000000',
    natLocal: flag(s, 'nat-local'),
    natRemote: flag(s, 'nat-remote'),
    natFake: flag(s, 'nat-fake'),
    natAny: flag(s, 'nat-any'),
    encrAlg: str(s, 'encr-alg'),
    encrKeysize: num(s, 'encr-keysize'),
    integAlg: str(s, 'integ-alg'),
    integKeysize: num(s, 'integ-keysize'),
    prfAlg: str(s, 'prf-alg'),
    dhGroup: str(s, 'dh-group'),
    children: Object.entries(children).flatMap(([key, c]) => {
      const cs = section(c);
      return cs ? [childSa(key, cs)] : [];
    }),
    raw: s,
  };
}

/** The IKE_SAs in `swanctl --list-sas --pretty` output, in the order listed. */
export function parseListSas(text: string): IkeSaInfo[] {
  return parsePretty(text)
    .filter((m) => m.kind === 'list-sa event')
    .flatMap((m) =>
      Object.entries(m.body).flatMap(([name, s]) => {
        const sa = section(s);
        return sa ? [ikeSa(name, sa)] : [];
      }),
    );
}
