import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Settings every package's vitest config merges: sources of sibling packages, node environment. */
export default defineConfig({
  ssr: { resolve: { conditions: ['@mip6sec/source'] } },
  resolve: { conditions: ['@mip6sec/source'] },
  test: {
    environment: 'node',
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
