/**
 * What every time series gets, whatever view draws it (a unit whose x is the quantitative field
 * `epoch`):
 *  - zoom and pan along its epochs: an interval selection bound to the x scale (drag to pan, wheel
 *    to zoom, double-click to reset), with its marks clipped to the plot;
 *  - tooltips on the marks that have none (their encoded fields);
 *  - a rule at the figure's `checkpoint` parameter (null by default: no rule), which the dashboard's
 *    one checkpoint slider sets in every figure of the page;
 *  - for a figure of one run, the run's grokking windows (memorisation, plateau, second descent,
 *    clean-up; figures/windows.ts) shaded underneath, unless the unit draws them.
 * Inside a facet or repeat only zoom and tooltips are added (layers with data of their own cannot
 * sit there). A spec without such a unit comes back unchanged.
 */
import { windowLayer, type GrokWindow } from './figures/windows.js';

type Spec = Record<string, unknown>;
type Unit = Spec & { mark?: unknown; encoding?: Spec; params?: Spec[]; layer?: Spec[] };

/** The parameter the dashboard's checkpoint slider sets (an epoch, or null for none). */
export const CHECKPOINT_PARAM = 'checkpoint';

function isEpochAxis(u: Unit): boolean {
  const x = u.encoding?.x as Spec | undefined;
  return u.mark !== undefined && x !== undefined && x.field === 'epoch' && (x.type === 'quantitative' || x.type === undefined);
}

const markType = (m: unknown): string => (typeof m === 'string' ? m : String((m as Spec).type));

/** A mark with clipping and, when its encoding has no tooltip, tooltips of its encoded fields. */
function clipped(u: Unit): void {
  const m: Spec = typeof u.mark === 'string' ? { type: u.mark } : { ...(u.mark as Spec) };
  m.clip = true;
  if (!u.encoding?.tooltip && m.tooltip === undefined) m.tooltip = true;
  u.mark = m;
}

function checkpointRule(): Spec {
  return {
    data: { values: [{}] },
    transform: [{ filter: `${CHECKPOINT_PARAM} != null` }, { calculate: CHECKPOINT_PARAM, as: 'epoch' }],
    mark: { type: 'rule', color: '#e15759', strokeWidth: 1.5, clip: true },
    encoding: { x: { field: 'epoch', type: 'quantitative' }, tooltip: [{ field: 'epoch', title: 'checkpoint' }] },
  };
}

const drawsWindows = (layers: Unit[]): boolean => layers.some((l) => (l.encoding?.fill as Spec | undefined)?.field === 'window');
const hasScaleBinding = (layers: Unit[]): boolean => layers.some((l) => (l.params ?? []).some((p) => p.bind === 'scales'));

/** Decorate a copy of a figure spec (the input is not changed). */
export function decorateTimeSeries(spec: object, windows: GrokWindow[] | null): object {
  const top = JSON.parse(JSON.stringify(spec)) as Unit;
  let zooms = 0, rules = 0;
  const zoom = (): Spec => ({ name: `zoom_${zooms++}`, select: { type: 'interval', encodings: ['x'] }, bind: 'scales' });

  /** A layer of units (or one unit made a layer): zoom, tooltips, then the windows under and the rule over. */
  function decorateLayers(layers: Unit[], faceted: boolean): Unit[] {
    const series = layers.filter(isEpochAxis);
    if (series.length === 0) return layers;
    if (!hasScaleBinding(layers)) {
      // Scale binding needs a unit that draws from the data; a rule or rect of events would do too.
      const host = series.find((l) => !['rule', 'rect'].includes(markType(l.mark))) ?? series[0];
      host.params = [...(host.params ?? []), zoom()];
    }
    for (const l of layers) if (l.mark !== undefined) clipped(l);
    if (faceted) return layers;
    const out: Unit[] = [];
    if (windows && windows.length && !drawsWindows(layers)) out.push(windowLayer(windows));
    out.push(...layers, checkpointRule());
    rules++;
    return out;
  }

  function visit(node: Unit, faceted: boolean, isTop: boolean): void {
    for (const key of ['concat', 'hconcat', 'vconcat'] as const) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((c) => visit(c as Unit, faceted, false));
    }
    if ((node.facet !== undefined || node.repeat !== undefined) && node.spec) { visit(node.spec as Unit, true, false); return; }
    if (Array.isArray(node.layer)) {
      if (node.layer.some((l) => Array.isArray((l as Unit).layer))) return; // nested layers: left as drawn
      node.layer = decorateLayers(node.layer as Unit[], faceted);
      return;
    }
    if (!isEpochAxis(node)) return;
    if (faceted) { decorateLayers([node], true); return; }
    // One unit becomes a layer: its mark, encoding, selections, data and transforms move inside;
    // its size, title and (at the top) the figure-wide parts stay outside.
    const inner: Unit = {};
    for (const k of ['mark', 'encoding', 'data', 'transform', 'selection']) if (node[k] !== undefined) { inner[k] = node[k]; delete node[k]; }
    const params = node.params ?? [];
    const selections = params.filter((p) => p.select !== undefined);
    if (selections.length) inner.params = selections;
    const kept = params.filter((p) => p.select === undefined);
    if (kept.length && isTop) node.params = kept; else delete node.params;
    node.layer = decorateLayers([inner], false);
  }

  visit(top, false, true);
  if (rules > 0) {
    const params = (top.params ?? []).filter((p) => p.name !== CHECKPOINT_PARAM);
    top.params = [...params, { name: CHECKPOINT_PARAM, value: null }];
  }
  return top;
}
