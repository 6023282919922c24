import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import pluginQuery from '@tanstack/eslint-plugin-query';
import globals from 'globals';
import path from 'node:path';

const featuresDir = path.join(import.meta.dirname, 'src', 'features');

/**
 * The feature (first folder under src/features) that an absolute path lies in, or null. A path
 * directly in src/features, or outside it, belongs to no feature.
 */
function featureOf(file, { isImporter }) {
  const rel = path.relative(featuresDir, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const [feature, ...rest] = rel.split(path.sep);
  // An importer is a file, so it needs a folder above it; a target may be a feature's folder.
  return isImporter && rest.length === 0 ? null : feature;
}

/**
 * Features do not import each other, however the path is written (`../batches/x`,
 * `../../features/batches/x`, `/src/features/batches/x`): the import is resolved against the
 * importing file and the features of both ends compared. Bare specifiers are packages.
 */
const noCrossFeatureImports = {
  meta: {
    type: 'problem',
    docs: { description: 'A file of one feature does not import from another feature.' },
    schema: [],
    messages: {
      crossFeature:
        'features do not import each other: "{{from}}" imports from "{{to}}" (move what both need to src/api or src/lib).',
    },
  },
  create(context) {
    const from = featureOf(context.physicalFilename, { isImporter: true });
    if (from === null) return {};
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value.replace(/[?#].*$/, '');
      let target;
      if (specifier === '.' || specifier === '..' || /^\.\.?\//.test(specifier))
        target = path.resolve(path.dirname(context.physicalFilename), specifier);
      else if (specifier.startsWith('/')) target = path.join(import.meta.dirname, specifier);
      else return;
      const to = featureOf(target, { isImporter: false });
      if (to !== null && to !== from)
        context.report({ node: source, messageId: 'crossFeature', data: { from, to } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // The literal: `source`, or `argument.literal` for parsers that predate `source`.
      TSImportType: (node) => check(node.source ?? node.argument?.literal),
    };
  },
};

/**
 * The packages under packages/ stand alone: they import their own files and other packages by
 * name, nothing of the console (server/, src/, the root's files). Refused: a relative import that
 * climbs out of the package (`depth` is how many folders the file lies below the package's own),
 * an absolute path, and the console's package name.
 */
function packageBoundary(depth) {
  const message =
    'a package imports nothing from the console (server/, src/): only its own files and packages by name.';
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: `^(\\.\\./){${depth + 1}}|^(\\.\\./){${depth}}\\.\\.$`, message },
          { regex: '^/', message },
          { regex: '^secmaster-association-console(/|$)', message },
        ],
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist',
      'node_modules',
      'data',
      'test-results',
      'playwright-report',
      '.tmp',
      'coverage',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { attributes: false } },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: {
      'react-hooks': reactHooks,
      '@tanstack/query': pluginQuery,
      local: { rules: { 'no-cross-feature-imports': noCrossFeatureImports } },
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...pluginQuery.configs.recommended.rules,
      'local/no-cross-feature-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**', '../server/*'], message: 'src/ never imports server/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/features/*/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**'], message: 'src/ never imports server/.' },
            {
              group: ['**/app/**', '!**/app/theme'],
              message: 'features do not import the app shell.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'scripts/**', 'bench/**', 'e2e/**', 'packages/**', '*.config.*'],
    languageOptions: { globals: globals.node },
  },
  { files: ['packages/*/*'], rules: packageBoundary(0) },
  { files: ['packages/*/*/*'], rules: packageBoundary(1) },
  { files: ['packages/*/*/*/**'], rules: packageBoundary(2) },
  {
    files: ['**/*.{js,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
