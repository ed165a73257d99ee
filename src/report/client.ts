/**
 * The script inlined in report.html (plain ES2019, no template literals so it can live in a TS
 * string): embeds every figure with vega-embed, wires the run check boxes (the `shown` parameter of
 * each figure), the play button of the animated histogram, and the neuron gallery widget (canvas:
 * maps, hover values, a selected neuron's map and 2-D power spectrum computed in the page from the
 * map in the modular Fourier basis).
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var views = {};
  window.grokbenchViews = views;

  function shownRuns() {
    var out = [];
    document.querySelectorAll('#run-toggles input[type=checkbox]').forEach(function (i) { if (i.checked) out.push(i.value); });
    return out;
  }

  function embedAll() {
    var p = Promise.resolve();
    D.figures.forEach(function (f) {
      p = p.then(function () {
        var el = document.getElementById('vis-' + f.name);
        if (!el) return;
        return vegaEmbed(el, f.spec, { renderer: 'svg', actions: false }).then(function (res) {
          views[f.name] = res.view;
          el.setAttribute('data-rendered', '1');
        }).catch(function (e) {
          console.error('grokbench report: figure ' + f.name + ' failed: ' + e);
          el.textContent = 'This figure could not be drawn: ' + e;
        });
      });
    });
    return p.then(function () { document.body.setAttribute('data-ready', '1'); });
  }

  function wireRunToggles() {
    document.querySelectorAll('#run-toggles input[type=checkbox]').forEach(function (box) {
      box.addEventListener('change', function () {
        var list = shownRuns();
        D.figures.forEach(function (f) {
          if (f.runFilter && views[f.name]) views[f.name].signal('shown', list).runAsync();
        });
        document.querySelectorAll('[data-run-label]').forEach(function (el) {
          el.style.display = list.indexOf(el.getAttribute('data-run-label')) >= 0 ? '' : 'none';
        });
      });
    });
  }

  function wirePlay() {
    document.querySelectorAll('button[data-play]').forEach(function (btn) {
      var name = btn.getAttribute('data-play');
      var frames = Number(btn.getAttribute('data-frames'));
      var timer = null;
      btn.addEventListener('click', function () {
        var v = views[name];
        if (!v) return;
        if (timer) { clearInterval(timer); timer = null; btn.textContent = '\u25B6 play'; return; }
        btn.textContent = '\u275A\u275A pause';
        timer = setInterval(function () {
          var i = (Number(v.signal('ei')) + 1) % frames;
          v.signal('ei', i).runAsync();
          if (i === frames - 1) { clearInterval(timer); timer = null; btn.textContent = '\u25B6 play'; }
        }, 120);
      });
    });
  }

  // ---- neuron gallery ------------------------------------------------------------------------
  var VIRIDIS = D.viridis; // 255 '#rrggbb'
  var VIR_RGB = VIRIDIS.map(function (h) { return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)]; });
  var VIR_INDEX = {};
  VIR_RGB.forEach(function (c, i) { VIR_INDEX[(c[0] << 16) | (c[1] << 8) | c[2]] = i; });

  function nearestIndex(r, g, b) {
    var key = (r << 16) | (g << 8) | b;
    if (key in VIR_INDEX) return VIR_INDEX[key];
    var best = 0, bd = Infinity;
    for (var i = 0; i < VIR_RGB.length; i++) {
      var c = VIR_RGB[i], d = (c[0] - r) * (c[0] - r) + (c[1] - g) * (c[1] - g) + (c[2] - b) * (c[2] - b);
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  var decoded = {};
  /** The map's palette indices (p*p, row a) decoded from its PNG. */
  function decodeMap(key, uri, p) {
    if (decoded[key]) return decoded[key];
    decoded[key] = new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var c = document.createElement('canvas');
        c.width = p; c.height = p;
        var ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0);
        var px = ctx.getImageData(0, 0, p, p).data;
        var idx = new Uint8Array(p * p);
        for (var i = 0; i < p * p; i++) idx[i] = nearestIndex(px[4 * i], px[4 * i + 1], px[4 * i + 2]);
        resolve({ img: img, idx: idx });
      };
      img.onerror = function () { reject(new Error('cannot decode map ' + key)); };
      img.src = uri;
    });
    return decoded[key];
  }

  var basisCache = {};
  function basis(p) {
    if (basisCache[p]) return basisCache[p];
    var B = new Float64Array(p * p), x, k, r;
    for (x = 0; x < p; x++) B[x] = 1;
    for (k = 1; k <= (p - 1) / 2; k++) {
      for (x = 0; x < p; x++) {
        var ang = 2 * Math.PI * ((k * x) % p) / p;
        B[(2 * k - 1) * p + x] = Math.sin(ang);
        B[2 * k * p + x] = Math.cos(ang);
      }
    }
    for (r = 0; r < p; r++) {
      var s = 0;
      for (x = 0; x < p; x++) s += B[r * p + x] * B[r * p + x];
      s = 1 / Math.sqrt(s);
      for (x = 0; x < p; x++) B[r * p + x] *= s;
    }
    basisCache[p] = B;
    return B;
  }

  /** Shares of variance per (k_a, k_b): |F|^2 of F = B A B^T summed over sin/cos rows, F[0][0] = 0. */
  function spectrum(vals, p) {
    var B = basis(p), n = p * p, mean = 0, i, x, y, a, b;
    for (i = 0; i < n; i++) mean += vals[i];
    mean /= n;
    var A = new Float64Array(n);
    for (i = 0; i < n; i++) A[i] = vals[i] - mean;
    var G = new Float64Array(n); // G[x][b] = sum_a B[x][a] A[a][b]
    for (x = 0; x < p; x++) for (a = 0; a < p; a++) {
      var w = B[x * p + a];
      if (w === 0) continue;
      for (b = 0; b < p; b++) G[x * p + b] += w * A[a * p + b];
    }
    var S = (p + 1) / 2, out = new Float64Array(S * S), tot = 0;
    for (x = 0; x < p; x++) for (y = 0; y < p; y++) {
      if (x === 0 && y === 0) continue;
      var f = 0;
      for (b = 0; b < p; b++) f += G[x * p + b] * B[y * p + b];
      var v = f * f;
      out[((x + 1) >> 1) * S + ((y + 1) >> 1)] += v;
      tot += v;
    }
    if (tot > 0) for (i = 0; i < out.length; i++) out[i] /= tot;
    return out;
  }

  function colourBar(canvas, lo, hi, title) {
    var ctx = canvas.getContext('2d'), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    for (var y = 0; y < H - 30; y++) {
      var t = 1 - y / (H - 31);
      ctx.fillStyle = VIRIDIS[Math.round(t * (VIRIDIS.length - 1))];
      ctx.fillRect(0, y + 15, 14, 1);
    }
    ctx.fillStyle = '#222';
    ctx.font = '10px ' + D.font;
    ctx.fillText(fmt(hi), 18, 22);
    ctx.fillText(fmt(lo), 18, H - 15);
    ctx.fillText(title, 0, 10);
  }

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return 'flat';
    var a = Math.abs(v);
    return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(2) : v.toFixed(3);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function galleryWidget(root) {
    var G = D.galleries;
    if (!G.length) { root.textContent = 'No checkpoints with analyses to show.'; return; }
    var state = { run: 0, epoch: 0, metric: 'coarseness', neuron: null };
    var controls = el('div', { class: 'g-controls' });
    var runSel = el('select', { id: 'gallery-run' });
    G.forEach(function (g, i) { var o = el('option', { value: String(i) }, g.label + ' (' + g.runId + ')'); runSel.appendChild(o); });
    var epochBox = el('span', { class: 'g-epochs' });
    var metricBox = el('span', { class: 'g-metric' });
    ['coarseness', 'specialization'].forEach(function (m) {
      var lab = el('label');
      var r = el('input', { type: 'radio', name: 'gallery-metric', value: m });
      if (m === state.metric) r.checked = true;
      r.addEventListener('change', function () { state.metric = m; state.neuron = null; draw(); });
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(m === 'coarseness' ? ' coarseness ' : ' frequency specialization '));
      metricBox.appendChild(lab);
    });
    controls.appendChild(document.createTextNode('run '));
    controls.appendChild(runSel);
    controls.appendChild(document.createTextNode(' epoch '));
    controls.appendChild(epochBox);
    controls.appendChild(document.createTextNode(' rank by '));
    controls.appendChild(metricBox);
    root.appendChild(controls);
    var body = el('div', { class: 'g-body' });
    root.appendChild(body);
    var readout = el('div', { class: 'g-readout', id: 'gallery-readout' }, 'hover a map for values; click one to show its spectrum');
    root.appendChild(readout);

    runSel.addEventListener('change', function () { state.run = Number(runSel.value); state.epoch = 0; state.neuron = null; draw(); });

    function drawEpochs() {
      epochBox.innerHTML = '';
      G[state.run].epochs.forEach(function (e, i) {
        var lab = el('label', { title: e.reason });
        var r = el('input', { type: 'radio', name: 'gallery-epoch', value: String(i) });
        if (i === state.epoch) r.checked = true;
        r.addEventListener('change', function () { state.epoch = i; state.neuron = null; draw(); });
        lab.appendChild(r);
        lab.appendChild(document.createTextNode(' ' + e.epoch + ' (' + e.reason + ') '));
        epochBox.appendChild(lab);
      });
    }

    function draw() {
      drawEpochs();
      body.innerHTML = '';
      var g = G[state.run], e = g.epochs[state.epoch];
      if (!e) { body.textContent = 'No gallery epochs for this run.'; return; }
      var byN = {};
      e.neurons.forEach(function (x) { byN[x.n] = x; });
      var rk = e.rankings[state.metric];
      if (state.neuron === null && rk.high.length) state.neuron = rk.high[0];
      var mname = state.metric === 'coarseness' ? 'coarseness (K=' + g.K + ')' : 'frequency specialization';
      [['16 highest ' + mname, rk.high], ['16 lowest ' + mname, rk.low]].forEach(function (part) {
        var box = el('div', { class: 'g-grid' });
        box.appendChild(el('h4', null, part[0]));
        var cells = el('div', { class: 'g-cells' });
        part[1].forEach(function (n) {
          var x = byN[n];
          var cell = el('div', { class: 'g-cell' + (n === state.neuron ? ' selected' : '') });
          var cv = el('canvas', { width: String(g.p), height: String(g.p), 'data-neuron': String(n) });
          cell.appendChild(cv);
          cell.appendChild(el('div', { class: 'g-lbl' }, '#' + n + '  k=' + x.k + ' (' + x.s.toFixed(2) + ')'));
          cell.appendChild(el('div', { class: 'g-lbl' }, 'c=' + fmt(x.c) + '  spec=' + fmt(x.f)));
          cells.appendChild(cell);
          decodeMap(g.runId + '@' + e.epoch + '#' + n, x.u, g.p).then(function (d) {
            cv.getContext('2d').drawImage(d.img, 0, 0);
            cv.setAttribute('data-drawn', '1');
            function at(ev) {
              var r = cv.getBoundingClientRect();
              var b = Math.min(g.p - 1, Math.floor((ev.clientX - r.left) / r.width * g.p));
              var a = Math.min(g.p - 1, Math.floor((ev.clientY - r.top) / r.height * g.p));
              return { a: a, b: b, v: x.min + d.idx[a * g.p + b] / 254 * (x.max - x.min) };
            }
            cv.addEventListener('mousemove', function (ev) {
              var q = at(ev);
              readout.textContent = 'neuron #' + n + ': a=' + q.a + ', b=' + q.b + ', activation \u2248 ' + fmt(q.v) + ' (map range ' + fmt(x.min) + ' to ' + fmt(x.max) + ')';
            });
          });
          cv.addEventListener('click', function () { state.neuron = n; draw(); });
        });
        box.appendChild(cells);
        body.appendChild(box);
      });
      var det = el('div', { class: 'g-detail' });
      body.appendChild(det);
      if (state.neuron !== null && byN[state.neuron]) drawDetail(det, g, e, byN[state.neuron]);
    }

    function drawDetail(det, g, e, x) {
      det.appendChild(el('h4', null, 'neuron #' + x.n + ' at epoch ' + e.epoch));
      det.appendChild(el('div', { class: 'g-lbl' }, 'coarseness ' + fmt(x.c) + ' \u00B7 specialization ' + fmt(x.f) + ' \u00B7 dominant frequency ' + x.k + ' (share ' + x.s.toFixed(3) + ')'));
      var row = el('div', { class: 'g-row' });
      det.appendChild(row);
      var big = el('canvas', { width: String(g.p), height: String(g.p), class: 'g-big' });
      var cb1 = el('canvas', { width: '70', height: '260', class: 'g-cbar' });
      var spec = el('canvas', { width: '300', height: '300', class: 'g-spec', id: 'gallery-spectrum' });
      var cb2 = el('canvas', { width: '70', height: '260', class: 'g-cbar' });
      var c1 = el('div', { class: 'g-col' }); c1.appendChild(el('div', { class: 'g-cap' }, 'activation map A[a][b] (a down, b across)')); c1.appendChild(big);
      var c2 = el('div', { class: 'g-col' }); c2.appendChild(el('div', { class: 'g-cap' }, '2-D power spectrum: |F|\u00B2, F = B\u00B7A\u00B7B\u1D40 (modular Fourier basis), sin+cos summed; log10 share')); c2.appendChild(spec);
      row.appendChild(c1); row.appendChild(cb1); row.appendChild(c2); row.appendChild(cb2);
      colourBar(cb1, x.min, x.max, 'activation');
      decodeMap(g.runId + '@' + e.epoch + '#' + x.n, x.u, g.p).then(function (d) {
        big.getContext('2d').drawImage(d.img, 0, 0);
        var vals = new Float64Array(g.p * g.p);
        for (var i = 0; i < vals.length; i++) vals[i] = x.min + d.idx[i] / 254 * (x.max - x.min);
        var S = (g.p + 1) / 2, ps = spectrum(vals, g.p);
        var off = document.createElement('canvas'); off.width = S; off.height = S;
        var octx = off.getContext('2d'), im = octx.createImageData(S, S);
        for (var j = 0; j < S * S; j++) {
          var lv = ps[j] > 0 ? Math.max(-4, Math.log10(ps[j])) : -4;
          var c = VIR_RGB[Math.round((lv + 4) / 4 * 254)];
          im.data[4 * j] = c[0]; im.data[4 * j + 1] = c[1]; im.data[4 * j + 2] = c[2]; im.data[4 * j + 3] = 255;
        }
        octx.putImageData(im, 0, 0);
        var ctx = spec.getContext('2d'), M = 36, W = spec.width - M - 8;
        ctx.fillStyle = 'white'; ctx.fillRect(0, 0, spec.width, spec.height);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(off, M, 8, W, W);
        ctx.fillStyle = '#222'; ctx.font = '10px ' + D.font;
        for (var t = 0; t < S; t += Math.max(1, Math.round(S / 6 / 5) * 5)) {
          ctx.fillText(String(t), M + (t + 0.2) * W / S, W + 20);
          ctx.fillText(String(t), 8, 8 + (t + 0.7) * W / S);
        }
        ctx.fillText('k_b \u2192', M + W - 30, W + 32);
        ctx.save(); ctx.translate(10, 8 + W); ctx.fillText('k_a \u2192', 0, 0); ctx.restore();
        spec.setAttribute('data-drawn', '1');
        spec.onmousemove = function (ev) {
          var r = spec.getBoundingClientRect();
          var kb = Math.floor(((ev.clientX - r.left) * spec.width / r.width - M) / W * S);
          var ka = Math.floor(((ev.clientY - r.top) * spec.height / r.height - 8) / W * S);
          if (ka >= 0 && kb >= 0 && ka < S && kb < S) readout.textContent = 'neuron #' + x.n + ' spectrum: k_a=' + ka + ', k_b=' + kb + ': share ' + fmt(ps[ka * S + kb]);
        };
      });
      colourBar(cb2, -4, 0, 'log10 share');
    }
    draw();
  }

  document.addEventListener('DOMContentLoaded', function () {
    wireRunToggles();
    wirePlay();
    var gal = document.getElementById('gallery');
    if (gal) galleryWidget(gal);
    embedAll();
  });
})();
`;
