// Lint: typescript-eslint's recommended rules, plus the layering docs/architecture.md describes:
// 'electron' only in electron/shell and the preload; renderer/ reaches outside itself only into
// shared/; shared/ imports nothing from Node, the DOM libraries or the other layers.
import tseslint from 'typescript-eslint';

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
