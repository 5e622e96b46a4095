// Lint is part of `npm test`. Type-aware rules catch the bugs that matter in a
// long-running service: floating promises (unhandled rejections crash Node) and
// non-exhaustive switches over message types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Boundaries (ARCHITECTURE.md): schemas depend on nothing; the bus and the
    // exchange edge never reach into the worker.
    files: ['src/schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../bus/*', '../exchanges/*', '../ingest/*', '../simulator/*', '../cli/*', '../config/*'] }],
    },
  },
  {
    files: ['src/bus/**/*.ts', 'src/exchanges/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../ingest/*', '../../ingest/*', '../cli/*', '../../cli/*', '../simulator/*', '../../simulator/*'] }],
    },
  },
  {
    files: ['src/gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../exchanges/*', '../ingest/*', '../simulator/*', '../cli/*'] }],
    },
  },
  {
    // Browser code shares the message types with the server, never its code.
    files: ['web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['../../src/*', '../../src/**'], allowTypeImports: true }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
