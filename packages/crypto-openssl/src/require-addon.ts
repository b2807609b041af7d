/** The loaded addon for a class constructor, or OpensslError('ENOSYS') with the loader's reason. */
import { type AddonBinding, addonBinding, opensslAddon } from './addon.js';
import { OpensslError } from './errors.js';

export function requireBinding(): AddonBinding {
  const b = addonBinding();
  if (b) return b;
  const s = opensslAddon();
  throw new OpensslError('ENOSYS', `the OpenSSL addon is not available: ${s.available ? '' : s.reason}`);
}
