/**
 * The layer map of docs/design.md §10, enforced: a module imports only from its own layer or the
 * layers below it, and nothing is circular. `npm test` runs this first (scripts/check-layers.mjs);
 * an upward import or a cycle fails it. There are no exceptions.
 */
const LAYERS = [
  ['core', '^src/core/'],
  ['math', '^src/math/'],
  // The pages' own code, bundled for the browser: it may use core and math, and nothing imports it
  // (the server and the report read its bundle, dist/browser/*.js, as a file).
  ['browser', '^src/browser/'],
  ['io', '^src/io/'],
  ['engine', '^src/engine/'],
  ['model', '^src/model/'],
  ['config', '^src/config/'],
  ['data', '^src/data/'],
  ['analysis library', '^src/analysis/library/'],
  ['metrics', '^src/metrics/'],
  ['store', '^src/store/'],
  ['train', '^src/train/'],
  ['interop', '^src/interop/'],
  ['analysis protocol', '^src/analysis/protocol/'],
  ['analyzers', '^src/analysis/analyzers/'],
  ['analysis pipeline and readers', '^src/analysis/[^/]+[.]ts$'],
  ['figure style', '^src/views/style/'],
  ['study', '^src/study/'],
  ['views', '^src/views/(?!style/)'],
  ['report', '^src/report/'],
  ['server', '^src/server/'],
  ['sweep', '^src/sweep/'],
  ['cli', '^src/cli/'],
  ['public API', '^src/index[.]ts$'],
];

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-from-${name.replace(/ /g, '-')}`,
  comment: `${name} imports only from itself and the layers below it (docs/design.md §10)`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no module reaches itself through its imports', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-unplaced-module', comment: 'every source module lies in one layer of the map', severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map(([, p]) => `(${p})`).join('|') }, to: {} },
    { name: 'no-import-of-browser-code', comment: 'src/browser runs in the page: the server and the report read its bundle, never import it',
      severity: 'error', from: { pathNot: '^src/browser/' }, to: { path: '^src/browser/' } },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench)/' },
  },
};
