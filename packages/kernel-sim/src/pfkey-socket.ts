/**
 * One PF_KEY socket (RFC 2367 section 2, Linux af_key.c): a write is one message handed to the kernel,
 * which answers synchronously; what the kernel sends back, to this socket alone or by broadcast, waits in
 * a receive queue bounded like a socket buffer (a full queue drops the message, as pfkey_broadcast_one
 * does with ENOBUFS). Each socket remembers the SA types it registered for (SADB_REGISTER) and whether it
 * is promiscuous (SADB_X_PROMISC). A dump is resumable, as af_key.c's is: the kernel writes it while
 * the queue is at most two thirds full, and reads that drain the queue make it go on, so a dump of
 * any size arrives whole. Readers poll with {@link PfkeySocket.read} or subscribe with
 * {@link PfkeySocket.onReadable}, which is called from a microtask, never from inside the kernel, so a
 * listener may write to the kernel again.
 */
import { fail } from './errors.js';

/** What a socket needs from its kernel. */
export interface PfkeyEndpoint {
  process(sock: PfkeySocket, bytes: Uint8Array): void;
  detach(sock: PfkeySocket): void;
}

/** Linux's default socket receive buffer (net.core.rmem_default). */
export const DEFAULT_RCVBUF = 212_992;

export class PfkeySocket {
  readonly id: number;
  readonly name: string;
  /** Bit n set: registered for satype n. */
  registered = 0;
  promisc = false;
  private readonly kernel: PfkeyEndpoint;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private readonly rcvbuf: number;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;
  /** A dump still being written (af_key's pfk->dump): it returns true once it has written all. */
  private dumping: (() => boolean) | undefined;
  private closed = false;
  /** Messages dropped because the receive queue was full. */
  dropped = 0;

  constructor(kernel: PfkeyEndpoint, id: number, name: string, rcvbuf = DEFAULT_RCVBUF) {
    this.kernel = kernel;
    this.id = id;
    this.name = name;
    this.rcvbuf = rcvbuf;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Messages waiting to be read. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * send(): hands one message to the kernel and returns its length. Problems with the base header come back
   * as a thrown KernelError (EMSGSIZE, EINVAL), as send() fails on Linux; every later problem arrives as an
   * error reply in the receive queue.
   */
  write(bytes: Uint8Array): number {
    if (this.closed) fail('EBADF', `PF_KEY socket ${this.name} is closed`);
    this.kernel.process(this, bytes);
    return bytes.length;
  }

  /** recv(): the next queued message, or undefined. */
  read(): Uint8Array | undefined {
    const m = this.queue.shift();
    if (m) this.queued -= m.length;
    // pfkey_recvmsg: a reader that drained the queue to a third of its buffer resumes the dump.
    if (this.dumping && 3 * this.queued <= this.rcvbuf) this.resumeDump();
    return m;
  }

  /** Every queued message, emptying the queue (a dump under way goes on writing into it). */
  readAll(): Uint8Array[] {
    const all = this.queue.splice(0);
    this.queued = 0;
    if (this.dumping) this.resumeDump();
    return all;
  }

  /**
   * Kernel side: runs `writeSome`, which queues dump messages while {@link canDump} allows and
   * returns true once it has written them all; until then reads call it again as they make room.
   * One dump at a time per socket (EBUSY), as af_key.c allows.
   */
  startDump(writeSome: () => boolean): void {
    if (this.dumping) fail('EBUSY', `PF_KEY socket ${this.name} is still dumping`);
    this.dumping = writeSome;
    this.resumeDump();
  }

  /** Room for one more dump message: the queue at most two thirds full (af_key.c pfkey_can_dump). */
  canDump(): boolean {
    return !this.closed && 3 * this.queued <= 2 * this.rcvbuf;
  }

  private resumeDump(): void {
    const writeSome = this.dumping;
    if (writeSome && (this.closed || writeSome())) this.dumping = undefined;
  }

  /** Calls `fn` (from a microtask) whenever messages arrive; returns the unsubscribe function. */
  onReadable(fn: () => void): () => void {
    this.listeners.add(fn);
    if (this.queue.length > 0) this.scheduleNotify();
    return () => this.listeners.delete(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dumping = undefined;
    this.queue.length = 0;
    this.queued = 0;
    this.listeners.clear();
    this.kernel.detach(this);
  }

  /** Kernel side: queues a message; false when the receive buffer had no room. */
  deliver(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.queued + bytes.length > this.rcvbuf) {
      this.dropped++;
      return false;
    }
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.scheduleNotify();
    return true;
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      if (this.queue.length === 0) return;
      for (const fn of [...this.listeners]) fn();
    });
  }
}
