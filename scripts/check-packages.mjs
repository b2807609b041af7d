#!/usr/bin/env node
/**
 * Checks that every workspace package (packages/* and apps/*) would publish as a working npm package.
 * Run after the build (scripts/test.sh does): the tarball checks look at dist.
 *
 * Per package:
 * - package.json: `type: "module"`, an `exports` map whose every entry (but ./package.json) has `types`
 *   and `default` conditions, each pointing into dist;
 * - README.md with a fenced code example;
 * - src imports: sibling packages only by name or by a subpath their exports map declares (no deep
 *   paths), no relative import leaving the package (tests may import the repository's test-support/),
 *   and every package a published (non-test) file
 *   imports declared in dependencies or peerDependencies;
 * - `npm pack --dry-run --json`: the tarball holds every file the exports map and `bin` name, the .d.ts
 *   files, the README, and no test files, sources or tsbuildinfo;
 * - `publint --strict` when publint is installed.
 *
 * Prints one line per package and exits with status 1 when any package fails.
 * Usage: node scripts/check-packages.mjs [NAME_OR_DIR ...]
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLINT = join(ROOT, 'node_modules/.bin/publint');
const SCOPE = '@mip6sec/';

/** Every workspace package directory, with its package.json. */
function workspacePackages() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const base = join(ROOT, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      const file = join(dir, 'package.json');
      if (existsSync(file))
        out.push({ dir, rel: `${group}/${name}`, pkg: JSON.parse(readFileSync(file, 'utf8')) });
    }
  }
  return out;
}

/** The `exports` entries other than ./package.json, as [subpath, conditions]. */
function exportEntries(pkg) {
  const exp = pkg.exports;
  if (typeof exp !== 'object' || exp === null || Array.isArray(exp)) return [];
  const keys = Object.keys(exp);
  // A map of conditions only (no subpaths) is the "." entry.
  if (keys.length > 0 && !keys.some((k) => k.startsWith('.'))) return [['.', exp]];
  return keys.filter((k) => k !== './package.json').map((k) => [k, exp[k]]);
}

function checkManifest(pkg, problems) {
  if (pkg.type !== 'module') problems.push('package.json: "type" is not "module"');
  if (pkg.exports === undefined) {
    problems.push('package.json: no "exports"');
    return;
  }
  const entries = exportEntries(pkg);
  if (entries.length === 0) problems.push('package.json: "exports" declares no entry');
  for (const [subpath, cond] of entries) {
    if (typeof cond !== 'object' || cond === null) {
      problems.push(`exports["${subpath}"] is not a conditions object with types and default`);
      continue;
    }
    for (const c of ['types', 'default']) {
      if (typeof cond[c] !== 'string') problems.push(`exports["${subpath}"] has no "${c}" condition`);
      else if (!cond[c].startsWith('./dist/'))
        problems.push(`exports["${subpath}"].${c} ${cond[c]} is not in dist`);
    }
    const keys = Object.keys(cond);
    // Node and TypeScript take the first condition that matches: default must come last, types before it.
    if (keys.at(-1) !== 'default')
      problems.push(`exports["${subpath}"]: "default" is not the last condition`);
  }
  for (const field of ['name', 'version', 'description', 'license', 'repository']) {
    if (pkg[field] === undefined) problems.push(`package.json: no "${field}"`);
  }
}

function checkReadme(dir, problems) {
  const file = join(dir, 'README.md');
  if (!existsSync(file)) {
    problems.push('no README.md');
    return;
  }
  const text = readFileSync(file, 'utf8');
  // An opening fence with a language, some code, and a closing fence.
  if (!/^```[a-z]+\n[^\n][\s\S]*?\n```\s*$/m.test(text))
    problems.push('README.md has no fenced code example');
}

function sourceFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'node_modules' && name !== 'dist') walk(p);
      } else if (/\.(c|m)?[jt]sx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const IMPORT_RE = [
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function importsOf(text) {
  // Imports in doc comments (@example blocks) are not imports; whole-line // comments neither.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [];
  for (const re of IMPORT_RE) for (const m of code.matchAll(re)) specs.push(m[1]);
  return specs;
}

const isTestFile = (file) =>
  /\.(test|spec)\.[cm]?[jt]sx?$|\.test-util\.[cm]?[jt]sx?$|[\\/]test-support[\\/]/.test(file);

/** The package name of a bare specifier: `@scope/name/x` -> `@scope/name`, `rxjs/operators` -> `rxjs`. */
function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function checkImports({ dir, pkg }, byName, problems) {
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
  ]);
  const builtins = new Set(builtinModules);
  const undeclared = new Map();
  for (const file of sourceFiles(join(dir, 'src'))) {
    const where = relative(ROOT, file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        // Tests may use the repository's shared test support (never published, no package's API).
        const testSupport = isTestFile(file) && target.startsWith(join(ROOT, 'test-support') + sep);
        if (!testSupport && target !== dir && !target.startsWith(dir + sep)) {
          problems.push(`${where}: relative import ${spec} leaves the package`);
        }
        continue;
      }
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = packageOf(spec);
      if (name.startsWith(SCOPE) && spec !== name) {
        const target = byName.get(name);
        const subpath = `.${spec.slice(name.length)}`;
        const exp = target?.pkg.exports;
        const allowed =
          exp && typeof exp === 'object' ? Object.keys(exp).filter((k) => k.startsWith('./')) : [];
        if (!allowed.includes(subpath)) {
          problems.push(`${where}: deep import ${spec} (${name} exports ${allowed.join(', ') || 'nothing'})`);
        }
      }
      if (name !== pkg.name && !declared.has(name) && !isTestFile(file)) {
        if (!undeclared.has(name)) undeclared.set(name, where);
      }
    }
  }
  for (const [name, where] of undeclared) {
    problems.push(`${where} imports ${name}, which is not in dependencies or peerDependencies`);
  }
}

async function checkTarball({ dir, pkg }, problems) {
  let listing;
  try {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NPM_CONFIG_LOGLEVEL: 'error' },
    });
    listing = JSON.parse(stdout)[0];
  } catch (e) {
    problems.push(
      `npm pack --dry-run failed: ${
        String(e.stderr || e.message)
          .trim()
          .split('\n')[0]
      }`,
    );
    return undefined;
  }
  const files = new Set(listing.files.map((f) => f.path));
  const need = new Set(['package.json', 'README.md']);
  for (const [, cond] of exportEntries(pkg)) {
    if (typeof cond !== 'object' || cond === null) continue;
    for (const target of Object.values(cond)) {
      if (typeof target === 'string' && target.startsWith('./dist/')) need.add(target.slice(2));
    }
  }
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const b of bins) need.add(b.replace(/^\.\//, ''));
  for (const f of need) {
    if (!files.has(f)) problems.push(`tarball lacks ${f}${f.startsWith('dist/') ? ' (not built?)' : ''}`);
  }
  if (![...files].some((f) => f.endsWith('.d.ts'))) problems.push('tarball has no .d.ts');
  const unwanted = [...files].filter(
    (f) =>
      isTestFile(f) ||
      f.endsWith('.tsbuildinfo') ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
      f.startsWith('out-tsc/') ||
      f.startsWith('src/'),
  );
  if (unwanted.length > 0) {
    problems.push(`tarball holds ${unwanted.length} unwanted file(s): ${unwanted.slice(0, 3).join(', ')}`);
  }
  return { files: files.size, size: listing.size };
}

async function checkPublint({ dir }, problems) {
  if (!existsSync(PUBLINT)) return 'publint not installed';
  try {
    await run(PUBLINT, ['run', dir, '--strict', '--pack', 'npm'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return 'publint ok';
  } catch (e) {
    const lines = String(e.stdout ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^\d+\.\s/.test(l));
    problems.push(
      `publint --strict: ${
        lines.join(' | ') ||
        String(e.stderr || e.message)
          .trim()
          .split('\n')[0]
      }`,
    );
    return 'publint failed';
  }
}

async function checkPackage(p, byName) {
  const problems = [];
  checkManifest(p.pkg, problems);
  checkReadme(p.dir, problems);
  checkImports(p, byName, problems);
  let summary = 'private: tarball not checked';
  if (!p.pkg.private) {
    const tar = await checkTarball(p, problems);
    const lint = await checkPublint(p, problems);
    summary = `${tar ? `${tar.files} files, ${(tar.size / 1024).toFixed(1)} kB packed` : 'no tarball'}, ${lint}`;
  }
  return { ...p, problems, summary };
}

/** Runs `fn` over `items`, `width` at a time, keeping the order of the results. */
async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const all = workspacePackages();
const byName = new Map(all.map((p) => [p.pkg.name, p]));
const wanted = process.argv.slice(2);
const selected =
  wanted.length === 0 ? all : all.filter((p) => wanted.includes(p.pkg.name) || wanted.includes(p.rel));
if (selected.length === 0) {
  console.error(`check-packages: no workspace package matches ${wanted.join(' ')}`);
  process.exit(2);
}
const results = await pool(selected, 4, (p) => checkPackage(p, byName));
const width = Math.max(...results.map((r) => r.pkg.name.length));
let failed = 0;
for (const r of results) {
  if (r.problems.length === 0) console.log(`ok    ${r.pkg.name.padEnd(width)}  ${r.summary}`);
  else {
    failed++;
    console.log(`FAIL  ${r.pkg.name.padEnd(width)}  ${r.problems.join('; ')}`);
  }
}
console.log(`${results.length - failed}/${results.length} packages pass`);
process.exit(failed === 0 ? 0 : 1);
