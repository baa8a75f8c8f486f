/**
 * The layering of src/ (docs/architecture.md): each folder imports only the folders below it, and
 * folders on one level not each other; the four methods never import each other; examples and
 * benches use the public API (src/index.ts). `npm run layers` checks it (and `.ci/run` through
 * `npm test`'s check step).
 */
const LAYERS = [
  ['core'],
  ['backend', 'data'],
  ['models'],
  ['train'],
  ['analysis'],
  ['monitors'],
  ['methods'],
  ['registry.ts'],
  ['lab'],
  ['report'],
  ['cli'],
  ['index.ts'],
];
const path = (name) => `^src/${name.replace('.', '\\.')}(/|$)`;
const above = (level) => LAYERS.slice(level + 1).flat();

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).flatMap((names, level) =>
      names.map((name) => ({
        name: `${name}-imports-upwards`,
        comment: `${name} may import only: ${LAYERS.slice(0, level).flat().join(', ') || '(nothing in src)'} and itself`,
        severity: 'error',
        from: { path: path(name) },
        to: { path: above(level).map(path) },
      })),
    ),
    {
      name: 'methods-import-each-other',
      comment: 'the four methods never import each other',
      severity: 'error',
      from: { path: '^src/methods/([^/]+)/' },
      to: { path: '^src/methods/', pathNot: '^src/methods/$1/' },
    },
    ...LAYERS.filter((names) => names.length > 1).flatMap((names) =>
      names.map((name) => ({
        name: `${name}-imports-a-sibling`,
        comment: `${name} shares its level with ${names.filter((n) => n !== name).join(', ')}; neither imports the other`,
        severity: 'error',
        from: { path: path(name) },
        to: { path: names.filter((n) => n !== name).map(path) },
      })),
    ),
    {
      name: 'examples-use-the-public-api',
      comment: 'examples import reglab only through src/index.ts, as a user would',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^src/', pathNot: '^src/index\\.ts$' },
    },
    {
      name: 'benches-use-the-public-api',
      comment:
        'benches import reglab through src/index.ts; only the backend internals they measure (kernels, the addon, the wasm fixes) come from src/backend',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/backend/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)' },
  },
};
