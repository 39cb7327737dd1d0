// Lint: typescript-eslint's recommended rules, plus the layering docs/architecture.md describes:
// 'electron' only in electron/shell and the preload; renderer/ reaches outside itself only into
// shared/; shared/ imports nothing from Node, the DOM libraries or the other layers; inside
// electron/, imports go down the layers below (local/layers).
import { dirname, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * The layers inside electron/, bottom first (docs/architecture.md). A module may import from its own
 * folder (or file) and from lower layers; on the same layer only where `open` says so.
 */
export const LAYERS = [
  { name: 'base', units: ['log.ts', 'appRoot.ts', 'events.ts', 'fileStamp.ts', 'privateFiles.ts', 'native', 'jobs'], open: true },
  { name: 'formats and storage', units: ['dicom', 'store'] },
  { name: 'protocol, library and file-sets', units: ['dimse', 'library', 'dicomdir'] },
  { name: 'nodes', units: ['nodes'] },
  { name: 'workflows', units: ['send', 'commit', 'pacs'] },
  { name: 'services', units: ['libraryServices.ts', 'services.ts', 'workflow'], open: true },
  { name: 'the contract', units: ['api'] },
  { name: 'front ends', units: ['shell', 'host', 'cli', 'preload.ts'] },
];
/** Exceptions to the order above: `courier serve` starts the browser host; the CLI talks to the services, not to api/. */
const ALSO_ALLOWED = new Set(['cli -> host']);
const ALSO_FORBIDDEN = new Set(['cli -> api']);

const ROOT = import.meta.dirname;
const layerOf = new Map(LAYERS.flatMap((l, i) => l.units.map((u) => [u, i])));
/** The unit (first folder, or the file itself) of a repository-relative path under electron/, else null. */
const unitOf = (rel) => (rel.startsWith('electron/') ? rel.split('/')[1] : null);

/** local/layers: inside electron/, imports go down the layers; nothing imports scripts/, test/ or renderer/. */
const layersRule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const from = relative(ROOT, context.physicalFilename).split('\\').join('/');
    const fromUnit = unitOf(from);
    if (!fromUnit) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = relative(ROOT, resolve(dirname(context.physicalFilename), spec)).split('\\').join('/');
      const top = to.split('/')[0];
      if (top === 'scripts' || top === 'test' || top === 'renderer') {
        context.report({ node: node.source, message: `electron/ may not import ${top}/ (${to}): the app ships without it.` });
        return;
      }
      const toUnit = unitOf(to);
      if (!toUnit || toUnit === fromUnit) return;
      const pair = `${fromUnit} -> ${toUnit}`;
      const a = layerOf.get(fromUnit);
      const b = layerOf.get(toUnit);
      if (a === undefined || b === undefined) {
        context.report({ node: node.source, message: `electron/${a === undefined ? fromUnit : toUnit} has no layer: add it to LAYERS in eslint.config.js and to docs/architecture.md.` });
        return;
      }
      const ok = !ALSO_FORBIDDEN.has(pair) && (ALSO_ALLOWED.has(pair) || b < a || (a === b && LAYERS[a].open));
      if (!ok) {
        context.report({
          node: node.source,
          message: `electron/${fromUnit} (${LAYERS[a].name}) may not import electron/${toUnit} (${LAYERS[b].name}): imports go down the layers (docs/architecture.md).`,
        });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'net', 'crypto', 'child_process', 'worker_threads', 'zlib', 'stream', 'url'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'test/.tmp/**', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['electron/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.{ts,tsx}', 'test/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['electron/shell/**', 'electron/preload.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: "Only electron/shell and electron/preload.ts may import 'electron'." }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks only to window.courier (renderer/api).' }],
          patterns: [
            { group: ['**/electron/**', '**/test/**', '**/scripts/**'], message: 'renderer/ may import only from itself and shared/.' },
            { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    plugins: { local: { rules: { layers: layersRule } } },
    rules: { 'local/layers': 'error' },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared/ is the contract: no Electron.' }],
          patterns: [
            { group: ['**/electron/**', '**/renderer/**', '**/test/**'], message: 'shared/ imports nothing from the other layers.' },
            { group: nodeBuiltins, message: 'shared/ runs in both processes: no Node modules.' },
            { group: ['react', 'react-dom', 'cornerstone-*'], message: 'shared/ has no DOM dependencies.' },
          ],
        },
      ],
    },
  },
);
