/** Injection tokens of the IKE package, namespaced like core's so two installed copies agree. */
import type { InjectionToken } from 'tsyringe';
import type { IkeDaemonConfig } from './config.js';
import type { IkeDaemon } from './ike-daemon.js';

export const IKE_CONFIG: InjectionToken<IkeDaemonConfig> = Symbol.for('@mip6sec/ike:Config');
export const IKE_DAEMON: InjectionToken<IkeDaemon> = Symbol.for('@mip6sec/ike:IkeDaemon');
