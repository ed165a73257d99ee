/**
 * DOM helpers shared by the dashboard's pages and the report's script (browser code: compiled by
 * tsconfig.browser.json with the DOM library, bundled by scripts/bundle-browser.mjs).
 */

/** Attribute values; `on<event>` keys are listeners, `text` is the text content. */
export type Attrs = Record<string, string | ((ev: Event) => void)>;
export type Child = Node | string | null | undefined;

/** An element with attributes and children (strings become text nodes; null and undefined are skipped). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

/** Calls fn at most once per ms; a call during the wait runs once when it ends. */
export function throttle(fn: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null, again = false;
  return () => {
    if (t) { again = true; return; }
    fn();
    t = setTimeout(() => { t = null; if (again) { again = false; fn(); } }, ms);
  };
}

/** '#rrggbb' or 'r,g,b' palette entries as [r, g, b]. */
export function paletteRgb(entries: readonly string[]): [number, number, number][] {
  return entries.map((s) => s.startsWith('#')
    ? [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)]
    : s.split(',').map(Number) as [number, number, number]);
}

/** The page `page` (0-based) of `n` rows, clamped: its first index, its end, the page itself and the number of pages. */
export function pageOf(n: number, page: number, size: number): { first: number; end: number; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(n / size));
  const pg = Math.min(Math.max(0, page), pages - 1);
  return { first: pg === 0 ? 0 : pg * size, end: Math.min(n, (pg + 1) * size), page: pg, pages };
}
