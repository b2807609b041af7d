/**
 * Buffers for packets the datapath makes, carved from shared 64 KB slabs the way Node's Buffer pool
 * carves small Buffers. A fresh ArrayBuffer of packet size costs about half a microsecond (a zeroed
 * backing store, external-memory accounting, a finalizer for the collector), more than sealing the
 * packet with AES-GCM; a view on a slab costs a small heap object. Slabs are never reused, so every
 * view starts zeroed and stays valid for as long as anyone holds it; the price is that a packet kept
 * for long keeps its slab (at most 64 KB) alive. Packets larger than a quarter slab get their own buffer.
 */
const SLAB_SIZE = 64 * 1024;
const OWN_BUFFER_FROM = SLAB_SIZE / 4;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/** A zeroed Uint8Array of `length` bytes, usually a view on a shared slab (byteOffset is not 0). */
export function packetBuffer(length: number): Uint8Array {
  if (length >= OWN_BUFFER_FROM) return new Uint8Array(length);
  if (used + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const view = new Uint8Array(slab, used, length);
  // 8-byte alignment keeps every packet's DataViews and copies on aligned addresses.
  used += (length + 7) & ~7;
  return view;
}
