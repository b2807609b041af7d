/**
 * Typed errors shared by every package. A `code` names the failure the way the kernel or the
 * protocol names it (errno names on kernel paths, notify names in IKE), so callers can branch on
 * it without parsing messages.
 */
export class Mip6secError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A kernel command failed: `code` is the errno name the kernel returned (EINVAL, ENOENT, EEXIST, ESRCH, ...). */
export class KernelError extends Mip6secError {}

/** Wiring of plugins into a host failed (a missing provider, two providers for one token). */
export class WiringError extends Mip6secError {}

/** A text could not be parsed as an address, prefix or selector. */
export class AddressError extends Mip6secError {
  constructor(message: string) {
    super('EINVAL', message);
  }
}
