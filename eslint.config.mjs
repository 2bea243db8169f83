// Lint rules: typescript-eslint's recommended set, plus a line width that the formatter
// (Prettier, .prettierrc.json) cannot enforce by itself (it never breaks strings or comments).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'generated/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks what is unused on purpose (a destructured field dropped, a callback's first argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A `let` assigned once, after a callback that reads it is made (the callback runs later), stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `self` names the object a nested function stands for (a prom-client collect callback, a socket's write).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    // Tests read answers as untyped JSON.
    files: ['test/**/*.ts', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
