// Lint, configured once for the whole repository (server, client, tests, bench). `npm run lint` runs it
// with zero warnings allowed, then Prettier's check. Every rule turned off or down says why.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', '**/dist/', 'generated/', 'server/db/prisma/', 'reports/', 'coverage/', 'test-results/', 'data/', '.stryker-tmp/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'client/bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
