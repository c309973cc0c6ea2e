// The self-contained HTML scatter of a run: one <canvas> (never one SVG node per point), the points as base64 typed
// arrays, a grid index for hover, pan and zoom, a legend that highlights a cluster, and hover thumbnails (the mask
// over its image, cropped to the box) that load only when a point is hovered.
import { dirname, relative, resolve, sep } from 'node:path';
import { clusterRgb, clusterSizes, dotStyle, type ScatterData } from './scatter-data.js';

const b64 = (a: Float32Array | Int32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
/** A path relative to the page, as a URL path (forward slashes, each segment percent-encoded). */
const urlPath = (from: string, to: string) => relative(from, to).split(sep).map(encodeURIComponent).join('/');

/** The page for `data` of the run in `runDir`, to be written at `out` (thumbnail links are relative to it). */
export function scatterHtml(data: ScatterData, runDir: string, out: string): string {
  const n = data.x.length;
  const pageDir = dirname(resolve(out));
  const images: string[] = [];
  const imageIndex = new Map<string, number>();
  const image = new Int32Array(n);
  const bbox = new Float32Array(n * 4);
  const area = new Float32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = data.rows[i]!;
    let k = imageIndex.get(r.image);
    if (k === undefined) {
      k = images.length;
      imageIndex.set(r.image, k);
      images.push(urlPath(pageDir, resolve(r.image)));
    }
    image[i] = k;
    bbox.set(r.bbox.slice(0, 4), i * 4);
    area[i] = r.area;
    score[i] = r.score;
  }
  const sizes = clusterSizes(data.cluster);
  const payload = {
    n,
    ids: data.rows.map((r) => r.id),
    x: b64(data.x),
    y: b64(data.y),
    cluster: b64(data.cluster),
    image: b64(image),
    bbox: b64(bbox),
    area: b64(area),
    score: b64(score),
    images,
    masks: `${urlPath(pageDir, resolve(runDir, 'masks'))}/`,
    clusters: sizes.map(([c, k]) => ({ c, k, rgb: clusterRgb(c) })),
    dot: dotStyle(n),
  };
  // `<` is escaped so that no id can close the script element.
  const json = JSON.stringify(payload).replace(/</g, '\\u003c');
  const named = sizes.filter(([c]) => c >= 0).length;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SegKit mask clusters (${n} masks)</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head><body>
<header><strong>UMAP of ${n} masks, coloured by HDBSCAN cluster (${named} clusters)</strong>
<span class="help">drag to pan · wheel to zoom · F to fit · click a cluster to highlight it, Esc to clear · hover a dot for its mask</span></header>
<main><canvas id="plot" aria-label="Scatter of ${n} masks, coloured by cluster"></canvas><aside id="legend"></aside></main>
<div id="tip" hidden><canvas id="thumb" width="160" height="160"></canvas><div id="tiptext"></div></div>
<script id="segkit-data" type="application/json">${json}</script>
<script>${SCRIPT}</script></body></html>
`;
}

const CSS = `html,body{margin:0;height:100%;font:13px "DejaVu Sans",system-ui,sans-serif;color:#222;background:#fff}
header{padding:8px 12px;display:flex;gap:16px;align-items:baseline;border-bottom:1px solid #ddd}.help{color:#666}
main{display:flex;height:calc(100% - 38px)}#plot{flex:1;min-width:0;height:100%;cursor:crosshair;display:block}
#legend{width:220px;overflow:auto;border-left:1px solid #ddd;padding:6px 0}
#legend button{display:flex;gap:8px;align-items:center;width:100%;border:0;background:none;padding:3px 10px;font:inherit;text-align:left;cursor:pointer}
#legend button[aria-pressed=true]{background:#e8f0fe}#legend i{width:12px;height:12px;border-radius:50%;flex:none}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #888;box-shadow:0 2px 8px #0003;padding:6px;border-radius:4px;max-width:180px}
#tiptext{margin-top:4px;overflow-wrap:anywhere}`;

// Plain browser JavaScript (the page has no build step). window.segkitPlot exposes counters for tests and benchmarks.
const SCRIPT = `(() => {
const D = JSON.parse(document.getElementById('segkit-data').textContent);
const dec = (s, T) => { const b = atob(s), u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new T(u.buffer); };
const X = dec(D.x, Float32Array), Y = dec(D.y, Float32Array), C = dec(D.cluster, Int32Array), IM = dec(D.image, Int32Array);
const BB = dec(D.bbox, Float32Array), AR = dec(D.area, Float32Array), SC = dec(D.score, Float32Array), n = D.n;
const css = (rgb) => 'rgb(' + rgb.join(',') + ')';
const colour = new Map(D.clusters.map((c) => [c.c, css(c.rgb)]));
const groups = new Map(D.clusters.map((c) => [c.c, []]));
for (let i = 0; i < n; i++) groups.get(C[i]).push(i);
const order = [...groups.keys()].sort((a, b) => (a < 0 ? -1 : b < 0 ? 1 : a - b)).map((c) => [c, Int32Array.from(groups.get(c))]);
// A uniform grid over the unit square for hover.
const G = 128, start = new Int32Array(G * G + 1), items = new Int32Array(n);
const cellOf = (i) => Math.min(G - 1, Math.max(0, Math.floor(Y[i] * G))) * G + Math.min(G - 1, Math.max(0, Math.floor(X[i] * G)));
for (let i = 0; i < n; i++) start[cellOf(i) + 1]++;
for (let c = 0; c < G * G; c++) start[c + 1] += start[c];
const fill = start.slice(0, G * G);
for (let i = 0; i < n; i++) items[fill[cellOf(i)]++] = i;
const cv = document.getElementById('plot'), ctx = cv.getContext('2d');
const tip = document.getElementById('tip'), tipText = document.getElementById('tiptext'), thumb = document.getElementById('thumb');
const api = (window.segkitPlot = { n, draws: [], loads: 0, hovered: -1, highlight: null });
let view = { s: 1, tx: 0, ty: 0 }, W = 0, H = 0, queued = false;
const fit = () => { const side = Math.min(W, H) * 0.94; view = { s: side, tx: (W - side) / 2, ty: (H - side) / 2 }; };
const sx = (i) => X[i] * view.s + view.tx, sy = (i) => (1 - Y[i]) * view.s + view.ty;
api.toScreen = (i) => { const r = cv.getBoundingClientRect(); return [r.left + sx(i), r.top + sy(i)]; };
function resize() {
  const r = cv.getBoundingClientRect(), dpr = window.devicePixelRatio || 1, first = W === 0;
  W = r.width; H = r.height; cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (first) fit();
  draw();
}
function draw() {
  queued = false;
  const t0 = performance.now();
  ctx.clearRect(0, 0, W, H);
  const r = D.dot.radius * Math.min(3, Math.max(1, Math.sqrt(view.s / (Math.min(W, H) * 0.94)))), d = 2 * r;
  ctx.globalAlpha = Math.min(0.9, D.dot.alpha + 0.3); // one path per cluster: overlaps do not stack
  for (const [c, idx] of order) {
    ctx.fillStyle = api.highlight === null || api.highlight === c ? colour.get(c) : '#e3e3e3';
    ctx.beginPath();
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k], px = X[i] * view.s + view.tx, py = (1 - Y[i]) * view.s + view.ty;
      if (px < -d || py < -d || px > W + d || py > H + d) continue;
      ctx.rect(px - r, py - r, d, d);
    }
    ctx.fill();
  }
  if (api.highlight !== null) {
    ctx.globalAlpha = 1; ctx.fillStyle = colour.get(api.highlight); ctx.beginPath();
    for (const i of groups.get(api.highlight)) ctx.rect(sx(i) - r, sy(i) - r, d, d);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  api.draws.push(performance.now() - t0);
}
const redraw = () => { if (!queued) { queued = true; requestAnimationFrame(draw); } };
function nearest(mx, my) {
  const ux = (mx - view.tx) / view.s, uy = 1 - (my - view.ty) / view.s, reach = 8 / view.s;
  const c0 = Math.max(0, Math.floor((ux - reach) * G)), c1 = Math.min(G - 1, Math.floor((ux + reach) * G));
  const r0 = Math.max(0, Math.floor((uy - reach) * G)), r1 = Math.min(G - 1, Math.floor((uy + reach) * G));
  let best = -1, bestD = 64;
  for (let row = r0; row <= r1; row++) for (let col = c0; col <= c1; col++) {
    const cell = row * G + col;
    for (let k = start[cell]; k < start[cell + 1]; k++) {
      const i = items[k];
      if (api.highlight !== null && C[i] !== api.highlight) continue;
      const dd = (sx(i) - mx) ** 2 + (sy(i) - my) ** 2;
      if (dd < bestD) { bestD = dd; best = i; }
    }
  }
  return best;
}
const cache = new Map();
function load(url) {
  if (!cache.has(url)) {
    api.loads++;
    cache.set(url, new Promise((ok) => { const im = new Image(); im.onload = () => ok(im); im.onerror = () => ok(null); im.src = url; }));
  }
  return cache.get(url);
}
async function showThumb(i) {
  const g = thumb.getContext('2d');
  g.fillStyle = '#f4f4f4'; g.fillRect(0, 0, 160, 160);
  thumb.dataset.loaded = '0';
  const maskUrl = D.masks + D.ids[i].split('/').map(encodeURIComponent).join('/') + '.png';
  const [im, mask] = await Promise.all([load(D.images[IM[i]]), load(maskUrl)]);
  if (api.hovered !== i) return;
  if (!im) { thumb.dataset.loaded = 'missing'; return; }
  const [x, y, w, h] = [BB[4 * i], BB[4 * i + 1], BB[4 * i + 2], BB[4 * i + 3]];
  const side = Math.max(w, h) * 1.2 + 8, cx = x + w / 2 - side / 2, cy = y + h / 2 - side / 2;
  g.drawImage(im, cx, cy, side, side, 0, 0, 160, 160);
  if (mask) {
    // Multiplying by the mask at half strength keeps the object's own colours and dims everything around it.
    g.globalAlpha = 0.45; g.globalCompositeOperation = 'multiply';
    g.drawImage(mask, cx, cy, side, side, 0, 0, 160, 160);
    g.globalAlpha = 1; g.globalCompositeOperation = 'source-over';
  }
  thumb.dataset.loaded = mask ? '1' : 'no-mask';
}
function hover(e) {
  const r = cv.getBoundingClientRect(), i = nearest(e.clientX - r.left, e.clientY - r.top);
  if (i === api.hovered) { if (i >= 0) place(e); return; }
  api.hovered = i;
  if (i < 0) { tip.hidden = true; return; }
  tipText.textContent = D.ids[i] + ' · ' + (C[i] < 0 ? 'noise' : 'cluster ' + C[i]) + ' · area ' + AR[i] + ' · score ' + SC[i].toFixed(3);
  tip.hidden = false; place(e); showThumb(i);
}
function place(e) {
  tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 200) + 'px';
  tip.style.top = Math.min(e.clientY + 14, window.innerHeight - 230) + 'px';
}
let drag = null;
cv.addEventListener('pointerdown', (e) => { drag = [e.clientX, e.clientY]; cv.setPointerCapture(e.pointerId); });
cv.addEventListener('pointermove', (e) => {
  if (drag) { view.tx += e.clientX - drag[0]; view.ty += e.clientY - drag[1]; drag = [e.clientX, e.clientY]; tip.hidden = true; api.hovered = -1; redraw(); }
  else hover(e);
});
cv.addEventListener('pointerup', () => { drag = null; });
cv.addEventListener('pointerleave', () => { tip.hidden = true; api.hovered = -1; });
cv.addEventListener('wheel', (e) => {
  e.preventDefault();
  const r = cv.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top, k = Math.exp(-e.deltaY * 0.0015);
  view = { s: view.s * k, tx: mx - (mx - view.tx) * k, ty: my - (my - view.ty) * k };
  redraw();
}, { passive: false });
const legend = document.getElementById('legend');
function setHighlight(c) {
  api.highlight = c;
  for (const b of legend.children) b.setAttribute('aria-pressed', String(Number(b.dataset.c) === c));
  redraw();
}
for (const { c, k } of D.clusters) {
  const b = document.createElement('button');
  b.dataset.c = String(c); b.setAttribute('aria-pressed', 'false');
  b.innerHTML = '<i></i><span></span>';
  b.firstChild.style.background = colour.get(c);
  b.lastChild.textContent = (c < 0 ? 'noise' : 'cluster ' + c) + ' (' + k + ')';
  b.onclick = () => setHighlight(api.highlight === c ? null : c);
  legend.append(b);
}
window.addEventListener('keydown', (e) => {
  if (e.key === 'f' || e.key === 'F') { fit(); redraw(); }
  if (e.key === 'Escape') setHighlight(null);
});
window.addEventListener('resize', resize);
resize();
})();`;
