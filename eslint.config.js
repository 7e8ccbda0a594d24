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

/**
 * The layers of docs/architecture.md §1: each room of main/ lists the rooms it must not import.
 * A zone's rule replaces the base rule for its files, so each one repeats the electron ban.
 */
const AREAS = [
  'nats',
  'engine',
  'resilience',
  'bridge',
  'recordings',
  'monitoring',
  'bench',
  'servers',
  'integration',
  'leadership',
  'overview'
];
const HOSTS = ['api', 'transport', 'cli', 'desktop', 'app'];
/**
 * The areas of main/nats (docs/architecture.md §1): each folder's index.ts is its public face, so
 * code outside a folder imports `nats/<area>`, never a file inside it.
 */
const NATS_AREAS = ['connection', 'embedded', 'topology', 'inspection', 'messages', 'buckets'];
const natsIndexOnly = (/** @type {boolean} */ insideNats) => ({
  regex: insideNats ? `^\\.\\.?/(${NATS_AREAS.join('|')})/` : `(^|/)nats/(${NATS_AREAS.join('|')})/`,
  message: 'Import a main/nats area through its index (nats/<area>), not a file inside it (docs/architecture.md §1)'
});
/** @param {string[]} rooms @param {string} why @param {boolean} [insideNats] */
function notFrom(rooms, why, insideNats = false) {
  return {
    paths: electronBan.paths,
    patterns: [
      ...electronBan.patterns,
      natsIndexOnly(insideNats),
      ...rooms.map((room) => ({
        regex: `^(\\.\\./)+${room}(/|$)`,
        message: `${why} (docs/architecture.md §1)`
      }))
    ]
  };
}
const except = (/** @type {string[]} */ rooms, /** @type {string[]} */ allowed) =>
  rooms.filter((room) => !allowed.includes(room));
/** @type {Array<{ files: string[], ignores?: string[], forbid: string[], why: string, insideNats?: boolean }>} */
const LAYERS = [
  {
    // The composition root is main/app/; in core/ only the context type, the config that gathers
    // each area's settings and the system procedures still name an area.
    files: ['main/core/**/*.ts'],
    ignores: ['main/core/module.ts', 'main/core/config.ts', 'main/core/system-module.ts'],
    forbid: [...AREAS, ...HOSTS],
    why: 'The core kernel sits below every area'
  },
  {
    // The composition root builds every area; the hosts build the core through it, never the reverse.
    files: ['main/app/**/*.ts'],
    forbid: ['transport', 'cli', 'desktop'],
    why: 'The composition root sits below the hosts'
  },
  {
    // migrations.ts is the one list of every area's migrations (a registry, not a dependency).
    files: ['main/store/**/*.ts'],
    ignores: ['main/store/migrations.ts'],
    forbid: [...AREAS, ...HOSTS],
    why: 'The store sits below every area'
  },
  {
    // From the kernel only the ring (it imports nothing).
    files: ['main/engine/**/*.ts'],
    forbid: [...except([...AREAS, ...HOSTS], ['engine']), 'core(?!/ring-buffer$)'],
    why: 'The engine is pure: it knows no NATS and no other area'
  },
  {
    files: ['main/nats/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'monitoring']),
    why: 'nats/ sits below the areas that use it',
    insideNats: true
  },
  {
    files: ['main/resilience/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'resilience']),
    why: 'resilience/ sits below the areas that publish through it'
  },
  {
    files: ['main/bridge/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'engine', 'resilience', 'bridge']),
    why: 'The bridge uses nats, engine and the outbox only'
  },
  {
    files: ['main/recordings/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'resilience', 'recordings']),
    why: 'An area does not reach into a sibling area'
  },
  {
    files: ['main/monitoring/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'resilience', 'monitoring']),
    why: 'An area does not reach into a sibling area'
  },
  {
    files: ['main/bench/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'resilience', 'bridge', 'engine', 'bench']),
    why: 'The benchmarks measure the bridge; they reach no other area'
  },
  {
    files: ['main/overview/**/*.ts'],
    forbid: except([...AREAS, ...HOSTS], ['nats', 'bridge', 'overview']),
    why: 'The system picture reads the sampler and the bridge only'
  },
  {
    files: ['main/api/**/*.ts'],
    forbid: [...AREAS, 'transport', 'cli', 'desktop'],
    why: 'The router knows only the contract'
  },
  {
    files: ['main/transport/**/*.ts'],
    forbid: [...AREAS, 'cli', 'desktop'],
    why: 'A transport carries the contract and knows no area'
  }
];

/** What a by-name lookup of another area's part looks like (ctx.services.get('outbox'), getService(…), FOO_SERVICE). */
const SERVICE_LOCATOR = [
  "MemberExpression[property.name='services'][object.name=/^(ctx|context|kernel)$/]",
  "MemberExpression[property.name='services'][object.property.name=/^(ctx|context|kernel)$/]",
  "TSInterfaceDeclaration[id.name='CoreContext'] TSPropertySignature[key.name=/^(services|registry|container)$/]",
  'Identifier[name=/^(getService|setService|registerService|lookupService|resolveService)$/]',
  'Identifier[name=/^[A-Z][A-Z_]*_SERVICE$/]'
];

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
    // Every room of main/ (the zones below repeat this for theirs) reaches main/nats through its areas' indexes.
    files: ['main/**/*.ts'],
    // core/config.ts reads one constant from nats/topology/topology.ts itself: the area's index also
    // carries the provisioner, whose connection types come from core/config (an import circle).
    ignores: ['main/core/config.ts'],
    rules: { 'no-restricted-imports': ['error', notFrom([], '')] }
  },
  ...LAYERS.map(({ files, ignores, forbid, why, insideNats }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { 'no-restricted-imports': ['error', notFrom(forbid, why, insideNats)] }
  })),
  {
    // No service locator: an area gets the parts it needs as typed constructor parameters from
    // the composition root (main/app/compose.ts), never by looking a name up at run time.
    files: ['main/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...SERVICE_LOCATOR.map((selector) => ({
          selector,
          message:
            'No service registry: take the part as a typed constructor parameter and wire it in main/app/compose.ts (docs/architecture.md §1a).'
        }))
      ]
    }
  },
  {
    // The desktop shell is the one place that talks to Electron.
    files: ['main/index.ts', 'main/desktop/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [natsIndexOnly(false)] }] }
  },
  {
    files: ['preload/**/*.ts', 'test/e2e/desktop*.ts'],
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
    // Renderer unit tests run in jsdom.
    files: ['test/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } }
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
