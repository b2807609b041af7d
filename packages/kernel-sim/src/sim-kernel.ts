/**
 * core's KernelBackend over a PF_KEY socket of a {@link PfkeyKernel}, the way a key manager uses a real
 * kernel (strongSwan's kernel-pfkey plugin is the model): each command is encoded with
 * @mip6sec/pfkey-codec, written to the socket, and answered by decoding the kernel's reply; errors come
 * back as sadb_msg_errno and are thrown as KernelError with the errno name. The socket registers for ESP
 * and AH, so it receives ACQUIRE and EXPIRE; everything the kernel broadcasts (ACQUIRE, EXPIRE, MIGRATE,
 * SPD and SAD changes, including those this backend caused) is published on the host bus as kernel.*
 * events from a microtask. There is no back door: every state change and query crosses the socket and is
 * counted in {@link SimKernel.stats}.
 *
 * PF_KEY cannot change an SA's addresses in place, so updateSa reads the SA and re-adds it at the new
 * addresses (as strongSwan's pfkey plugin does); its sequence counters and replay state start again.
 * MIGRATE moves SAs with their state.
 */
import {
  type Bus,
  type Direction,
  type GetSpiRequest,
  type KernelBackend,
  KernelError,
  type KernelFeatures,
  type KernelStats,
  type MigrateRequest,
  type PolicyData,
  type PolicyId,
  policyKey,
  type SaData,
  type SaId,
  type SaUpdate,
  type SecurityAssociation,
  type SecurityPolicy,
  saKey,
} from '@mip6sec/core';
import {
  decode,
  encode,
  errnoName,
  getExtension,
  IPSEC_POLICY_IPSEC,
  PfkeyError,
  type PfkeyExtension,
  type PfkeyMessage,
  type PfkeyMessageInit,
  SADB_ACQUIRE,
  SADB_ADD,
  SADB_DELETE,
  SADB_DUMP,
  SADB_EXPIRE,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_LIFETIME_HARD,
  SADB_EXT_SA,
  SADB_EXT_SPIRANGE,
  SADB_FLUSH,
  SADB_GET,
  SADB_GETSPI,
  SADB_REGISTER,
  SADB_SATYPE_AH,
  SADB_SATYPE_ESP,
  SADB_SATYPE_UNSPEC,
  SADB_UPDATE,
  SADB_X_EXT_KMADDRESS,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_REF,
  SADB_X_EXT_SA2,
  SADB_X_MIGRATE,
  SADB_X_SPDADD,
  SADB_X_SPDDELETE,
  SADB_X_SPDDELETE2,
  SADB_X_SPDDUMP,
  SADB_X_SPDFLUSH,
  SADB_X_SPDGET,
  SADB_X_SPDUPDATE,
} from '@mip6sec/pfkey-codec';
import {
  actionOf,
  bundlesFromRequests,
  bundlesToRequests,
  dirNumber,
  dirOf,
  endpointExts,
  ipOf,
  msrdRefFromExt,
  policyExt,
  refExt,
  satypeOf,
  selectorFromExts,
  selectorToExts,
  sockaddrOf,
  templateFromRequest,
} from './pfkey-convert.js';
import type { PfkeyKernel } from './pfkey-kernel.js';
import { saExtensions, saFromKernelMessage } from './pfkey-sa.js';
import type { PfkeySocket } from './pfkey-socket.js';

export interface SimKernelOptions {
  /** sadb_msg_pid this backend writes (and recognises its replies by); unique per backend by default. */
  readonly pid?: number;
  /** Socket name, for traces. */
  readonly socketName?: string;
}

let nextPid = 4000;

const USER = { origin: 'user' } as const;

/** A SecurityPolicy from a policy message (SPDADD/SPDUPDATE/SPDGET/SPDDUMP/SPDDELETE). */
export function policyFromMessage(msg: PfkeyMessage): SecurityPolicy {
  const src = getExtension(msg, SADB_EXT_ADDRESS_SRC);
  const dst = getExtension(msg, SADB_EXT_ADDRESS_DST);
  const pol = getExtension(msg, SADB_X_EXT_POLICY);
  if (!src || !dst || !pol)
    throw new KernelError('EINVAL', 'the kernel sent a policy message without selector or policy');
  const dir = dirOf(pol.dir) ?? 'out';
  const ref = getExtension(msg, SADB_X_EXT_REF);
  return {
    selector: selectorFromExts(src, dst),
    dir,
    action: actionOf(pol.policyType),
    priority: pol.priority,
    templates: pol.policyType === IPSEC_POLICY_IPSEC ? pol.requests.map(templateFromRequest) : [],
    index: pol.id,
    ...(ref ? { ref: msrdRefFromExt(ref) } : {}),
  };
}

export class SimKernel implements KernelBackend {
  readonly name = 'kernel-sim';
  /** The kernel behind the socket (the lab reaches its datapath and PAD here). */
  readonly kernel: PfkeyKernel;
  private readonly bus: Bus | undefined;
  private readonly sock: PfkeySocket;
  private readonly pid: number;
  private seq = 0;
  private readonly larval = new Set<string>();
  private readonly counters = {
    messagesToKernel: 0,
    messagesFromKernel: 0,
    bytesToKernel: 0,
    bytesFromKernel: 0,
  };
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(kernel: PfkeyKernel, bus?: Bus, options: SimKernelOptions = {}) {
    this.kernel = kernel;
    this.bus = bus;
    this.pid = options.pid ?? nextPid++;
    this.sock = kernel.openSocket(options.socketName ?? `sim-kernel:${this.pid}`);
    for (const satype of [SADB_SATYPE_ESP, SADB_SATYPE_AH]) this.request({ type: SADB_REGISTER, satype });
    this.unsubscribe = this.sock.onReadable(() => this.pump());
  }

  features(): KernelFeatures {
    return { espStates: true, migrate: true, acquireRef: true, datapath: true, udpEncap: true };
  }

  stats(): KernelStats {
    return { ...this.counters, overruns: this.sock.dropped };
  }

  async getSpi(req: GetSpiRequest): Promise<number> {
    const exts: PfkeyExtension[] = [...endpointExts(req.src, req.dst)];
    if (req.reqid !== undefined) exts.push({ type: SADB_X_EXT_SA2, mode: 0, sequence: 0, reqid: req.reqid });
    if (req.min !== undefined || req.max !== undefined) {
      exts.push({ type: SADB_EXT_SPIRANGE, min: req.min ?? 0x100, max: req.max ?? 0x0fffffff });
    }
    const [reply] = this.request({ type: SADB_GETSPI, satype: satypeOf(req.proto), extensions: exts });
    const spi = getExtension(reply!, SADB_EXT_SA)!.spi >>> 0;
    this.larval.add(saKey({ src: req.src, dst: req.dst, spi, proto: req.proto }));
    return spi;
  }

  async addSa(id: SaId, sa: SaData): Promise<void> {
    const key = saKey(id);
    const type = this.larval.has(key) ? SADB_UPDATE : SADB_ADD;
    this.request({ type, satype: satypeOf(id.proto), extensions: saMessage(id, sa) });
    this.larval.delete(key);
  }

  async updateSa(id: SaId, update: SaUpdate): Promise<void> {
    const cur = await this.querySa(id);
    if (!cur) throw new KernelError('ESRCH', `no SA ${saKey(id)}`);
    const src = update.newSrc ?? cur.src;
    const dst = update.newDst ?? cur.dst;
    const { state: _s, current: _c, src: _a, dst: _b, spi: _p, proto: _q, ...data } = cur;
    const encap = update.encap === undefined ? cur.encap : update.encap === null ? undefined : update.encap;
    const next: SaData = { ...data, ...(encap ? { encap } : {}) };
    if (!encap) delete (next as { encap?: unknown }).encap;
    if (src === cur.src && dst === cur.dst && encap !== undefined) {
      this.request({ type: SADB_UPDATE, satype: satypeOf(id.proto), extensions: saMessage(id, next) });
      return;
    }
    this.request({ type: SADB_DELETE, satype: satypeOf(id.proto), extensions: saIdMessage(cur) });
    this.request({
      type: SADB_ADD,
      satype: satypeOf(id.proto),
      extensions: saMessage({ ...id, src, dst }, next),
    });
  }

  async querySa(id: SaId): Promise<SecurityAssociation | undefined> {
    try {
      const [reply] = this.request({
        type: SADB_GET,
        satype: satypeOf(id.proto),
        extensions: saIdMessage(id),
      });
      return saFromKernelMessage(reply!);
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ESRCH') return undefined;
      throw e;
    }
  }

  async delSa(id: SaId): Promise<void> {
    this.request({ type: SADB_DELETE, satype: satypeOf(id.proto), extensions: saIdMessage(id) });
    this.larval.delete(saKey(id));
  }

  async dumpSas(): Promise<SecurityAssociation[]> {
    return this.dump(SADB_DUMP).map(saFromKernelMessage);
  }

  async flushSas(): Promise<void> {
    this.request({ type: SADB_FLUSH, satype: SADB_SATYPE_UNSPEC });
    this.larval.clear();
  }

  async addPolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy> {
    return this.putPolicy(SADB_X_SPDADD, id, policy);
  }

  async updatePolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy> {
    return this.putPolicy(SADB_X_SPDUPDATE, id, policy);
  }

  async delPolicy(id: PolicyId): Promise<void> {
    this.request({ type: SADB_X_SPDDELETE, extensions: policyIdMessage(id.selector, id.dir) });
  }

  /** PF_KEY finds policies by index only, so a query by selector reads the SPD (SADB_X_SPDDUMP). */
  async queryPolicy(id: PolicyId): Promise<SecurityPolicy | undefined> {
    const want = policyKey(id);
    return (await this.dumpPolicies()).find((p) => policyKey(p) === want);
  }

  /** SADB_X_SPDGET: one policy by its kernel index. */
  async getPolicyByIndex(index: number): Promise<SecurityPolicy | undefined> {
    try {
      const [reply] = this.request({
        type: SADB_X_SPDGET,
        extensions: [
          {
            type: SADB_X_EXT_POLICY,
            policyType: IPSEC_POLICY_IPSEC,
            dir: 0,
            id: index,
            priority: 0,
            requests: [],
          },
        ],
      });
      return policyFromMessage(reply!);
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async dumpPolicies(): Promise<SecurityPolicy[]> {
    return this.dump(SADB_X_SPDDUMP).map(policyFromMessage);
  }

  async flushPolicies(): Promise<void> {
    this.request({ type: SADB_X_SPDFLUSH });
  }

  async migrate(req: MigrateRequest): Promise<void> {
    const exts: PfkeyExtension[] = [];
    if (req.kmaddress) {
      exts.push({
        type: SADB_X_EXT_KMADDRESS,
        reserved: 0,
        local: sockaddrOf(req.kmaddress.local),
        remote: sockaddrOf(req.kmaddress.remote),
      });
    }
    exts.push(...selectorToExts(req.selector), {
      type: SADB_X_EXT_POLICY,
      policyType: IPSEC_POLICY_IPSEC,
      dir: dirNumber(req.dir),
      id: 0,
      priority: 0,
      requests: bundlesToRequests(req.bundles),
    });
    const first = req.bundles[0];
    // No reply on success: the sender sees only the broadcast (kernel-interfaces.md 2.4).
    this.request({ type: SADB_X_MIGRATE, satype: first ? satypeOf(first.proto) : 0, extensions: exts });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.sock.close();
  }

  // ---------------------------------------------------------------- socket traffic

  /**
   * Writes one request and returns the kernel's answers to it (messages with this backend's pid), after
   * publishing any broadcasts queued with them. Throws KernelError for a send() failure or an error reply.
   */
  private request(init: PfkeyMessageInit): PfkeyMessage[] {
    if (this.closed) throw new KernelError('EBADF', 'the kernel backend is closed');
    this.seq = (this.seq + 1) >>> 0 || 1;
    const seq = this.seq;
    let bytes: Uint8Array;
    try {
      // One object shape for every request: a spread of the callers' various literals made a new
      // map per message, and every property read in the codec then missed V8's inline caches.
      const msg: PfkeyMessageInit = {
        type: init.type,
        errno: init.errno ?? 0,
        satype: init.satype ?? 0,
        reserved: init.reserved ?? 0,
        seq,
        pid: this.pid,
        extensions: init.extensions ?? [],
      };
      bytes = encode(msg, USER);
    } catch (e) {
      // The codec checks what af_key.c checks on send(); its refusal is the errno the kernel would answer.
      if (e instanceof PfkeyError) throw new KernelError(e.code, e.message, { cause: e });
      throw e;
    }
    this.counters.messagesToKernel++;
    this.counters.bytesToKernel += bytes.length;
    this.sock.write(bytes);
    const replies: PfkeyMessage[] = [];
    const events: PfkeyMessage[] = [];
    for (const m of this.readQueued()) {
      // A flush is answered to the writer, then broadcast (when something went): the second copy is news.
      const flushCopy = (m.type === SADB_FLUSH || m.type === SADB_X_SPDFLUSH) && replies.length > 0;
      if (m.pid === this.pid && (m.seq === seq || m.type === init.type) && !flushCopy) {
        if (m.errno !== 0) {
          this.publishLater(events);
          const name = errnoName(m.errno) ?? 'EINVAL';
          throw new KernelError(name, `${name} from the kernel for message type ${init.type}`);
        }
        replies.push(m);
        if (isBroadcastType(m.type)) events.push(m);
      } else events.push(m);
    }
    this.publishLater(events);
    return replies;
  }

  /** DUMP/SPDDUMP: every answer, ENOENT (an empty database) as none. */
  private dump(type: typeof SADB_DUMP | typeof SADB_X_SPDDUMP): PfkeyMessage[] {
    try {
      return this.request({ type, satype: SADB_SATYPE_UNSPEC });
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ENOENT') return [];
      throw e;
    }
  }

  private putPolicy(type: number, id: PolicyId, p: PolicyData): SecurityPolicy {
    const exts: PfkeyExtension[] = [
      ...selectorToExts(id.selector),
      policyExt({ dir: id.dir, action: p.action, index: 0, priority: p.priority, templates: p.templates }),
    ];
    if (p.ref) exts.push(refExt(p.ref));
    const replies = this.request({ type, extensions: exts });
    return policyFromMessage(replies[replies.length - 1]!);
  }

  private readQueued(): PfkeyMessage[] {
    const out: PfkeyMessage[] = [];
    for (let b = this.sock.read(); b; b = this.sock.read()) {
      this.counters.messagesFromKernel++;
      this.counters.bytesFromKernel += b.length;
      try {
        out.push(decode(b, { origin: 'kernel' }));
      } catch {
        // A message this codec refuses is counted and skipped, as a daemon would log and go on.
      }
    }
    return out;
  }

  private pump(): void {
    if (!this.closed) this.publish(this.readQueued());
  }

  private publishLater(msgs: PfkeyMessage[]): void {
    if (msgs.length > 0) queueMicrotask(() => this.publish(msgs));
  }

  private publish(msgs: readonly PfkeyMessage[]): void {
    if (!this.bus || this.closed) return;
    for (const m of msgs) {
      try {
        this.publishOne(m);
      } catch {
        // A broadcast that cannot be turned into an event (a template the model lacks) is skipped.
      }
    }
  }

  private publishOne(m: PfkeyMessage): void {
    const bus = this.bus!;
    if (m.errno !== 0) return;
    switch (m.type) {
      case SADB_ACQUIRE: {
        const src = ipOf(getExtension(m, SADB_EXT_ADDRESS_SRC)!.address);
        const dst = ipOf(getExtension(m, SADB_EXT_ADDRESS_DST)!.address);
        const pol = getExtension(m, SADB_X_EXT_POLICY)!;
        const ref = getExtension(m, SADB_X_EXT_REF);
        // Linux's ACQUIRE names the policy by index only; the selector and templates come from SPDGET.
        const policy = this.policyByIndexNow(pol.id);
        bus.emit({
          type: 'kernel.acquire',
          seq: m.seq,
          policy: {
            index: pol.id,
            selector:
              policy?.selector ??
              selectorFromExts(
                getExtension(m, SADB_EXT_ADDRESS_SRC)!,
                getExtension(m, SADB_EXT_ADDRESS_DST)!,
              ),
            dir: 'out',
          },
          templates: policy?.templates ?? [],
          src,
          dst,
          ...(ref ? { ref: msrdRefFromExt(ref) } : {}),
        });
        return;
      }
      case SADB_EXPIRE: {
        const sa = saFromKernelMessage(m);
        bus.emit({
          type: 'kernel.expire',
          sa: { src: sa.src, dst: sa.dst, spi: sa.spi, proto: sa.proto },
          reqid: sa.reqid,
          hard: getExtension(m, SADB_EXT_LIFETIME_HARD) !== undefined,
        });
        return;
      }
      case SADB_X_MIGRATE: {
        const pol = getExtension(m, SADB_X_EXT_POLICY)!;
        const kma = getExtension(m, SADB_X_EXT_KMADDRESS);
        bus.emit({
          type: 'kernel.migrate',
          selector: selectorFromExts(
            getExtension(m, SADB_EXT_ADDRESS_SRC)!,
            getExtension(m, SADB_EXT_ADDRESS_DST)!,
          ),
          dir: (dirOf(pol.dir) ?? 'out') as Direction,
          bundles: bundlesFromRequests(pol.requests).filter((b) => b !== undefined),
          ...(kma ? { kmaddress: { local: ipOf(kma.local), remote: ipOf(kma.remote) } } : {}),
        });
        return;
      }
      case SADB_X_SPDADD:
      case SADB_X_SPDUPDATE:
      case SADB_X_SPDDELETE:
      case SADB_X_SPDDELETE2:
        bus.emit({
          type: 'kernel.policy',
          op: m.type === SADB_X_SPDADD ? 'add' : m.type === SADB_X_SPDUPDATE ? 'update' : 'delete',
          policy: policyFromMessage(m),
        });
        return;
      case SADB_X_SPDFLUSH:
        bus.emit({ type: 'kernel.policy', op: 'flush' });
        return;
      case SADB_ADD:
      case SADB_UPDATE:
      case SADB_DELETE:
        bus.emit({
          type: 'kernel.sa',
          op: m.type === SADB_ADD ? 'add' : m.type === SADB_UPDATE ? 'update' : 'delete',
          sa: saFromKernelMessage(m),
        });
        return;
      case SADB_FLUSH:
        bus.emit({ type: 'kernel.sa', op: 'flush' });
        return;
      default:
        return;
    }
  }

  private policyByIndexNow(index: number): SecurityPolicy | undefined {
    try {
      const [reply] = this.request({
        type: SADB_X_SPDGET,
        extensions: [
          {
            type: SADB_X_EXT_POLICY,
            policyType: IPSEC_POLICY_IPSEC,
            dir: 0,
            id: index,
            priority: 0,
            requests: [],
          },
        ],
      });
      return reply ? policyFromMessage(reply) : undefined;
    } catch {
      return undefined;
    }
  }
}

function isBroadcastType(type: number): boolean {
  return (
    type === SADB_ADD ||
    type === SADB_UPDATE ||
    type === SADB_DELETE ||
    type === SADB_X_SPDADD ||
    type === SADB_X_SPDUPDATE ||
    type === SADB_X_SPDDELETE ||
    type === SADB_X_SPDDELETE2
  );
}

function saIdMessage(id: SaId): PfkeyExtension[] {
  return [
    { type: SADB_EXT_SA, spi: id.spi >>> 0, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
    ...endpointExts(id.src, id.dst),
  ];
}

function saMessage(id: SaId, sa: SaData): PfkeyExtension[] {
  return saExtensions(
    { id, data: sa, state: 'mature', flags: 0, acqSeq: 0 },
    { withKeys: true, lifetimes: sa.hard || sa.soft ? ['hard', 'soft'] : [] },
  );
}

function policyIdMessage(selector: PolicyId['selector'], dir: Direction): PfkeyExtension[] {
  return [
    ...selectorToExts(selector),
    {
      type: SADB_X_EXT_POLICY,
      policyType: IPSEC_POLICY_IPSEC,
      dir: dirNumber(dir),
      id: 0,
      priority: 0,
      requests: [],
    },
  ];
}
