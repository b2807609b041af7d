/**
 * @module
 * Linux errno values (x86_64, <asm-generic/errno-base.h> and <asm-generic/errno.h>) that PF_KEY carries in
 * `sadb_msg_errno` and that this codec uses as error codes. The layout test checks them against <errno.h>.
 */

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const NAME_BY_VALUE = new Map<number, ErrnoName>();
for (const [name, value] of Object.entries(ERRNO) as [ErrnoName, number][]) NAME_BY_VALUE.set(value, name);

/** The errno name for a value, or undefined when the table does not have it. */
export function errnoName(value: number): ErrnoName | undefined {
  return NAME_BY_VALUE.get(value);
}

/** The errno value for a name, or undefined when the table does not have it. */
export function errnoValue(name: string): number | undefined {
  return Object.hasOwn(ERRNO, name) ? ERRNO[name as ErrnoName] : undefined;
}
