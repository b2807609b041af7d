import { Mip6secError } from '@mip6sec/core';

/**
 * An MSRD operation failed: EINVAL (bad input), ENOENT (no record with that MPI), EEXIST (the
 * binding already has a record), ESTALE (the record changed since the version the writer read),
 * ENOSPC (no MPI left).
 */
export class MsrdError extends Mip6secError {}
