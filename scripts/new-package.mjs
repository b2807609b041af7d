#!/usr/bin/env node
// Creates the skeleton of a workspace package so every package has the same build, test and
// publish layout: node scripts/new-package.mjs packages/NAME "one-line description" [dep ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const [dir, description = '', ...deps] = process.argv.slice(2);
if (!dir) {
  console.error('usage: new-package.mjs packages/NAME "description" [@mip6sec/dep ...]');
  process.exit(2);
}
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir} already exists`);
  process.exit(1);
}
const short = basename(dir);
const name = `@mip6sec/${short}`;
const up = relative(dir, '.') || '.';
mkdirSync(join(dir, 'src'), { recursive: true });
const write = (f, s) => writeFileSync(join(dir, f), s);
const json = (o) => `${JSON.stringify(o, null, 2)}\n`;

write(
  'package.json',
  json({
    name,
    version: '0.1.0',
    description,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    engines: { node: '>=20.19' },
    repository: { type: 'git', url: 'git+https://example.invalid/mip6sec.git', directory: dir },
    exports: {
      '.': { '@mip6sec/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    types: './dist/index.d.ts',
    files: ['dist', '!dist/**/*.test.*', '!**/*.tsbuildinfo', 'README.md'],
    publishConfig: { access: 'public' },
    dependencies: Object.fromEntries(deps.map((d) => [d, '^0.1.0'])),
  }),
);
write(
  'tsconfig.json',
  json({
    extends: `${up}/tsconfig.base.json`,
    files: [],
    references: [{ path: './tsconfig.lib.json' }, { path: './tsconfig.spec.json' }],
  }),
);
write(
  'tsconfig.lib.json',
  json({
    extends: `${up}/tsconfig.base.json`,
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo' },
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.test.ts', 'src/**/*.test-util.ts'],
    references: [],
  }),
);
write(
  'tsconfig.spec.json',
  json({
    extends: `${up}/tsconfig.base.json`,
    compilerOptions: {
      outDir: 'out-tsc/spec',
      rootDir: '../..',
      types: ['node'],
      noEmit: false,
      emitDeclarationOnly: true,
    },
    include: [
      'src/**/*.test.ts',
      'src/**/*.test-util.ts',
      'vitest.config.ts',
      '../../vitest.shared.ts',
      'bench/**/*.ts',
      'fuzz/**/*.ts',
    ],
    references: [{ path: './tsconfig.lib.json' }],
  }),
);
write(
  'vitest.config.ts',
  `import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '${up}/vitest.shared.js';

export default mergeConfig(shared, defineConfig({ test: { name: '${short}' } }));
`,
);
write('README.md', `# ${name}\n\n${description}\n`);
write('src/index.ts', `/**\n * @packageDocumentation\n * ${description}\n */\nexport {};\n`);
console.log(`created ${dir} (${name})`);
