/**
 * Kernel failures carry the errno name Linux would answer with (EINVAL, ENOENT, EEXIST, ESRCH, ENODATA...),
 * as core's {@link KernelError}; this module only keeps the throw sites one line long.
 */
import { KernelError } from '@mip6sec/core';

/** Throws a KernelError with an errno name and a one-line reason. */
export function fail(code: string, message: string): never {
  throw new KernelError(code, message);
}

/** The errno name of a thrown value, EINVAL for anything that is not a coded error. */
export function codeOf(err: unknown): string {
  if (
    err &&
    typeof err === 'object' &&
    'code' in err &&
    typeof (err as { code: unknown }).code === 'string'
  ) {
    return (err as { code: string }).code;
  }
  return 'EINVAL';
}
