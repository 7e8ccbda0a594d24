// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const electronBan = {
  paths: [
    {
      name: 'electron',
      message: 'Only main/index.ts and main/desktop/ may import electron: the core stays plain Node.'
    }
  ],
  patterns: [{ group: ['electron/*'], message: 'Only the desktop shell may import electron.' }]
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', electronBan]
    }
  },
  {
    // The desktop shell is the one place that talks to Electron.
    files: ['main/index.ts', 'main/desktop/**/*.ts', 'preload/**/*.ts', 'test/e2e/desktop*.ts'],
    rules: { 'no-restricted-imports': 'off' }
  },
  {
    // The contract crosses into the renderer and the preload: no Node, no Electron.
    files: ['main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: electronBan.paths,
          patterns: [
            ...electronBan.patterns,
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'net', 'http'],
              message: 'The contract must not use Node APIs.'
            },
            { group: ['../*', '!../contract'], message: 'The contract imports nothing else from main/.' }
          ]
        }
      ]
    }
  },
  {
    // The renderer may import only the contract from main/.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Fetch-on-change hooks set a loading flag in the effect that starts the request; that is the intent.
      'react-hooks/set-state-in-effect': 'off',
      'no-restricted-imports': [
        'error',
        {
          paths: electronBan.paths,
          patterns: [
            ...electronBan.patterns,
            {
              regex: '^(\\.\\./)+main/(?!contract(/|$))',
              message: 'The renderer may import only main/contract from main/.'
            },
            { group: ['node:*'], message: 'The renderer runs in a browser.' }
          ]
        }
      ]
    }
  }
);
