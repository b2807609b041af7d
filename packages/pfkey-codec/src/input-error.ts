/**
 * @module
 * Errors in input written by hand or by a program rather than read off the wire: the JSON form and the
 * message builders. `path` says where (`extensions[2].address`); `message` reads
 * `EINVAL in extensions[2].address: "2001:db8::g" is not an IPv4 or IPv6 address`. Byte-level problems found
 * when the result is encoded are PfkeyError as usual.
 */

export class PfkeyInputError extends Error {
  /** Always EINVAL, for symmetry with PfkeyError. */
  readonly code: 'EINVAL';
  /** Where in the input: a JSON path such as `extensions[1].prefixlen`, or a builder argument name. */
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`EINVAL in ${path}: ${reason}`);
    this.name = 'PfkeyInputError';
    this.code = 'EINVAL';
    this.path = path;
    this.reason = reason;
  }
}

export function inputError(path: string, reason: string): never {
  throw new PfkeyInputError(path, reason);
}
