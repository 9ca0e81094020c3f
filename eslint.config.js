// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which module may import which (see README "Architecture"): leaves never import each other,
// nothing imports upward. Enforced here and by src/architecture.test.ts.
const MODULES = [
  'core',
  'source',
  'render',
  'cluster',
  'health',
  'diff',
  'sync',
  'appset',
  'controller',
  'notify',
  'api',
  'cli',
];
const ALLOWED = {
  core: [],
  source: ['core'],
  render: ['core'],
  cluster: ['core'],
  health: ['core'],
  diff: ['core'],
  sync: ['core', 'diff', 'health', 'cluster'],
  appset: ['core', 'source', 'cluster', 'notify'],
  controller: ['core', 'source', 'render', 'cluster', 'health', 'diff', 'sync', 'notify', 'appset'],
  notify: ['core'],
  api: ['core', 'controller', 'cluster', 'diff', 'health', 'source'],
  cli: ['core', 'render', 'diff', 'api', 'source', 'cluster', 'controller', 'notify'],
};

const boundaryConfigs = MODULES.map((mod) => ({
  files: [`src/${mod}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: MODULES.filter((m) => m !== mod && !ALLOWED[mod].includes(m)).map((m) => ({
          group: [`**/${m}`, `**/${m}/**`, `../${m}/*`],
          message: `src/${mod} may not import src/${m} (see the architecture table in README.md).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.run/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...boundaryConfigs,
);
