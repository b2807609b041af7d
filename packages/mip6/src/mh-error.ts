/**
 * The one error the Mobility Header and IPv6 packet codecs throw. Bad input always ends here: the
 * decoders never throw anything else and never return a half-built message.
 */
import { Mip6secError } from '@mip6sec/core';

export class MhError extends Mip6secError {
  /** Byte offset of the offending field in the input, when the input was bytes. */
  readonly offset: number | undefined;
  /** Where in a JSON (or object) input the offending value sits, e.g. `$.options[1].address`. */
  readonly path: string | undefined;
  /** The one-line reason, without the location prefix. */
  readonly reason: string;

  constructor(reason: string, where: { offset?: number; path?: string } = {}) {
    const at =
      where.offset !== undefined
        ? ` at byte ${where.offset}`
        : where.path !== undefined
          ? ` at ${where.path}`
          : '';
    super('EINVAL', `EINVAL${at}: ${reason}`);
    this.offset = where.offset;
    this.path = where.path;
    this.reason = reason;
  }
}

/** Throws an {@link MhError} located at a byte offset. */
export function failAt(offset: number, reason: string): never {
  throw new MhError(reason, { offset });
}

/** Throws an {@link MhError} located at a path in structured input. */
export function failPath(path: string, reason: string): never {
  throw new MhError(reason, { path });
}
