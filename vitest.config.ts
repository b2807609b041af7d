import { defineConfig } from 'vitest/config';

// The whole suite in one run, so CI gets one report; each package also has its own config for nx.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
