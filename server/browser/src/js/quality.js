// Page quality, from the browser's own timing: runs before any script of every page, after
// init.js. Observers started at document start see every paint, layout shift and long task;
// pf.quality() reads them with the navigation and resource timings, and looks at images,
// fonts, tap targets and text size. Keep it ES5 (see init.js).
(function () {
  var pf = window.__preflight;
  if (!pf || pf.quality) { return; }
  var seen = { lcp: null, lcpElement: '', cls: 0, shifts: [], longTasks: [] };

  function describe(el) {
    if (!el || !el.tagName) { return ''; }
    var s = el.tagName.toLowerCase();
    if (el.id) { return s + '#' + el.id; }
    if (typeof el.className === 'string' && el.className.trim()) { s += '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.'); }
    if (s === 'img' && el.getAttribute('src')) { s += '[src="' + String(el.getAttribute('src')).slice(0, 80) + '"]'; }
    return s;
  }

  // Entries are delivered to observers a little later than they happen: pf.quality() takes
  // the pending ones first (a long task that just ended is not missed).
  var observers = [];
  function observe(type, each) {
    try {
      var o = new PerformanceObserver(function (list) { list.getEntries().forEach(each); });
      o.observe({ type: type, buffered: true });
      observers.push([o, each]);
    } catch (e) { /* not supported: the metric stays unknown */ }
  }
  observe('largest-contentful-paint', function (e) {
    seen.lcp = e.startTime;
    seen.lcpElement = describe(e.element) || (e.url ? 'image ' + e.url.slice(0, 120) : 'text');
  });
  // Cumulative Layout Shift as Core Web Vitals define it: the largest session window (shifts
  // less than 1 s apart, 5 s at most), shifts right after input excluded.
  var win = 0, winStart = 0, last = -1;
  observe('layout-shift', function (e) {
    if (e.hadRecentInput) { return; }
    if (last >= 0 && e.startTime - last < 1000 && e.startTime - winStart < 5000) { win += e.value; } else { win = e.value; winStart = e.startTime; }
    last = e.startTime;
    if (win > seen.cls) { seen.cls = win; }
    if (seen.shifts.length < 5) {
      var src = (e.sources || []).map(function (s) { return describe(s.node); }).filter(Boolean);
      seen.shifts.push({ at: Math.round(e.startTime), value: e.value, nodes: src.slice(0, 3) });
    }
  });
  observe('longtask', function (e) { seen.longTasks.push([e.startTime, e.duration]); });

  var KINDS = { document: 'html', script: 'js', css: 'css', img: 'image', image: 'image', font: 'font' };
  function kind(e) {
    var url = String(e.name).split('?')[0].toLowerCase();
    if (/\.(woff2?|ttf|otf|eot)$/.test(url)) { return 'font'; }
    if (/\.(png|jpe?g|gif|webp|avif|svg|ico)$/.test(url)) { return 'image'; }
    if (/\.css$/.test(url)) { return 'css'; }
    if (/\.m?js$/.test(url)) { return 'js'; }
    if (e.initiatorType === 'link' && /stylesheet/.test(e.name)) { return 'css'; }
    return KINDS[e.initiatorType] || 'other';
  }

  function visibleBox(el) {
    var r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { return null; }
    var cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || parseFloat(cs.opacity) === 0) { return null; }
    return r;
  }

  // A link inside a sentence is exempt from target size (WCAG 2.5.8): it is as tall as the text.
  function inlineInText(el) {
    if (el.tagName !== 'A') { return false; }
    var p = el.parentElement;
    if (!p || getComputedStyle(el).display !== 'inline') { return false; }
    var text = (p.textContent || '').replace(/\s+/g, ' ').trim();
    return text.length > (el.textContent || '').trim().length + 10;
  }

  pf.quality = function (mobile) {
    observers.forEach(function (p) { p[0].takeRecords().forEach(p[1]); });
    var nav = (performance.getEntriesByType('navigation') || [])[0];
    var paint = performance.getEntriesByName('first-contentful-paint')[0];
    var fcp = paint ? paint.startTime : null;
    // Total Blocking Time: what long tasks after the first paint took beyond 50 ms each.
    var tbt = 0;
    seen.longTasks.forEach(function (t) {
      var start = Math.max(t[0], fcp || 0), end = t[0] + t[1];
      if (end - start > 50) { tbt += end - start - 50; }
    });
    var bytes = { html: 0, js: 0, css: 0, image: 0, font: 0, other: 0 }, requests = 0;
    if (nav) { bytes.html += nav.transferSize || nav.encodedBodySize || 0; requests++; }
    var blocking = [], resources = performance.getEntriesByType('resource') || [];
    resources.forEach(function (e) {
      requests++;
      bytes[kind(e)] += e.transferSize || e.encodedBodySize || 0;
      if (e.renderBlockingStatus === 'blocking') {
        blocking.push({ url: e.name, ms: Math.round(e.responseEnd - e.startTime) });
      }
    });
    var sizes = {}, types = {};
    resources.forEach(function (e) { sizes[e.name] = e.transferSize || e.encodedBodySize || 0; types[e.name] = e.contentType || ''; });

    // Images: served much larger than shown, and large JPEG/PNG.
    var dpr = window.devicePixelRatio || 1, oversized = [], legacy = [];
    var imgs = document.images;
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i], src = img.currentSrc || img.src;
      if (!img.complete || !img.naturalWidth || !src || /^data:/.test(src)) { continue; }
      // A vector image (SVG) is drawn at whatever size it is shown: it cannot be too large.
      // (By its content type when the browser knows it, else by name: an image service's
      // /logo.svg?format=png is a PNG.)
      if (types[src] ? /^image\/svg/i.test(types[src]) : /\.svgz?([?#]|$)/i.test(src)) { continue; }
      var r = visibleBox(img);
      var size = sizes[src] || 0;
      if (r) {
        var shownW = Math.round(r.width * dpr), shownH = Math.round(r.height * dpr);
        if (img.naturalWidth * img.naturalHeight > 4 * shownW * shownH && img.naturalWidth > shownW * 1.5) {
          oversized.push({ url: src, natural: [img.naturalWidth, img.naturalHeight], shown: [Math.round(r.width), Math.round(r.height)], dpr: dpr, bytes: size });
        }
      }
      if (/\.(jpe?g|png)(\?|$)/i.test(src) && size >= 50 * 1024) { legacy.push({ url: src, bytes: size }); }
    }

    // Web fonts that hide text while they load (no font-display, or block).
    var fonts = [];
    if (document.fonts && document.fonts.forEach) {
      document.fonts.forEach(function (f) {
        if ((f.display === 'auto' || f.display === 'block') && f.status !== 'unloaded' && fonts.indexOf(f.family) < 0) { fonts.push(String(f.family).replace(/^["']|["']$/g, '')); }
      });
    }

    var meta = document.querySelector('meta[name="viewport" i]');
    var out = {
      ttfb: nav ? nav.responseStart : null,
      fcp: fcp,
      lcp: seen.lcp,
      lcpElement: seen.lcpElement,
      cls: seen.cls,
      shifts: seen.shifts,
      tbt: Math.round(tbt),
      longTasks: seen.longTasks.length,
      bytes: bytes,
      requests: requests,
      blocking: blocking,
      oversized: oversized.slice(0, 10),
      legacyImages: legacy.slice(0, 10),
      fontsWithoutDisplay: fonts.slice(0, 10),
      viewportMeta: meta ? String(meta.getAttribute('content') || '') : null
    };
    if (mobile) {
      // Tap targets smaller than 24×24 CSS px (WCAG 2.5.8's minimum), inline text links aside.
      var small = [], targets = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=link], [onclick]');
      for (var k = 0; k < targets.length && small.length < 10; k++) {
        var t = targets[k], b = visibleBox(t);
        if (!b || inlineInText(t) || (b.width >= 24 && b.height >= 24)) { continue; }
        small.push({ target: describe(t) + ((t.textContent || '').trim() ? ' "' + t.textContent.trim().slice(0, 30) + '"' : ''), size: [Math.round(b.width), Math.round(b.height)] });
      }
      // Text smaller than 12 CSS px, by share of the visible characters.
      var total = 0, tiny = 0, sample = '';
      if (document.body) {
        var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, null), n;
        while ((n = walker.nextNode())) {
          var text = n.nodeValue.replace(/\s+/g, '');
          if (!text || !n.parentElement || !visibleBox(n.parentElement)) { continue; }
          var px = parseFloat(getComputedStyle(n.parentElement).fontSize) || 16;
          total += text.length;
          if (px < 12) { tiny += text.length; if (!sample) { sample = describe(n.parentElement) + ' ' + px + 'px: "' + n.nodeValue.trim().slice(0, 40) + '"'; } }
        }
      }
      out.smallTargets = small;
      out.smallTargetCount = small.length;
      out.text = { total: total, tiny: tiny, sample: sample };
    }
    return JSON.stringify(out);
  };
})();
