/**
 * The layering of src/ (docs/architecture.md): each folder imports only the folders below it.
 * `npm run layers` checks it (and `.ci/run` through `npm test`'s lint step).
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
  ['index.ts', 'browser.ts'],
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
