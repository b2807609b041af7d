import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The tests run the built CLI as a subprocess; build.test-util.ts builds it once before them.
export default mergeConfig(
  shared,
  defineConfig({ test: { name: 'cli', globalSetup: ['src/build.test-util.ts'] } }),
);
