import { describeProvider } from './describe-provider.test-util.js';
import { PortableCryptoProvider } from './portable.js';

describeProvider(new PortableCryptoProvider());
