// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Folders whose code decides state: amounts, weights, rates, election, randomness, ordering.
 * Floating point is not bit-identical across platforms, so it is forbidden there.
 */
export const CONSENSUS_CRITICAL = [
  'src/consensus/**',
  'src/codec/**',
  'src/math/**',
  'src/state/**',
  'src/execution/**',
  'src/staking/**',
  'src/election/**',
  'src/economics/**',
  'src/slashing/**',
  'src/governance/**',
  'src/primitives/**',
  'src/params/**',
  'src/chain/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The web app runs in browsers.
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: CONSENSUS_CRITICAL.map((g) => `${g}/*.ts`),
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'parseFloat', message: 'No floats in consensus code: use bigint.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', message: 'No Math.* in consensus code: use bigint fixed-point.' },
        { object: 'Number', property: 'parseFloat', message: 'No floats in consensus code.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[raw=/^[0-9_]*\\.[0-9]|^[0-9_]+[eE]-/]',
          message: 'No float literals in consensus code: use bigint fixed-point.',
        },
      ],
    },
  },
);
