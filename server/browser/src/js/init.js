// Runs before any script of every page Preflight opens. It records what a page does to a
// visitor (dialogs, pop-ups) without letting it block the browser, and defines the helpers
// the checks call later. Keep it ES5: it also runs under the old-IE user agent.
(function () {
  if (window.__preflight) { return; }
  var pf = { dialogs: 0, dialogSamples: [], popups: [] };
  try { Object.defineProperty(window, '__preflight', { value: pf, enumerable: false }); } catch (e) { window.__preflight = pf; }
  var LIMIT = 20;
  function dialog(kind, answer) {
    return function (message) {
      pf.dialogs += 1;
      if (pf.dialogSamples.length < 3) { pf.dialogSamples.push(kind + '("' + String(message).slice(0, 120) + '")'); }
      if (pf.dialogs >= LIMIT) { throw new Error('Preflight stopped a dialog loop'); }
      return answer;
    };
  }
  window.alert = dialog('alert', undefined);
  window.confirm = dialog('confirm', true);
  window.prompt = dialog('prompt', '');
  window.print = function () {};
  window.open = function (url) {
    if (pf.popups.length < 10) { pf.popups.push(String(url || 'about:blank')); }
    return null;
  };

  function describe(el) {
    if (!el || !el.tagName) { return '?'; }
    var s = el.tagName.toLowerCase();
    if (el.id) { return s + '#' + el.id; }
    if (typeof el.className === 'string' && el.className.trim()) { s += '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.'); }
    return s;
  }

  function visible(el) {
    var r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { return false; }
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.visibility === 'collapse' || parseFloat(cs.opacity) === 0) { return false; }
    }
    var docW = Math.max(document.documentElement.scrollWidth, window.innerWidth);
    return r.right > 0 && r.left < docW && r.bottom + window.scrollY > 0;
  }

  pf.measure = function (markerPattern) {
    // (A document being replaced — a late meta refresh or script navigation — may have no
    // root element for a moment: measure what is there instead of failing.)
    var de = document.documentElement || document.createElement('html'), body = document.body;
    // The layout viewport: mobile browsers zoom out to fit wide content, which widens
    // innerWidth but not clientWidth.
    var vw = de.clientWidth || window.innerWidth;
    var sw = Math.max(de.scrollWidth, body ? body.scrollWidth : 0);
    var overflow = Math.max(0, sw - vw);
    var culprits = [];
    if (overflow > 1 && body) {
      var all = body.getElementsByTagName('*');
      for (var i = 0; i < all.length && culprits.length < 3; i++) {
        var el = all[i], r = el.getBoundingClientRect();
        if (r.right <= vw + 1 || r.width < 1) { continue; }
        var p = el.parentElement, pr = p ? p.getBoundingClientRect() : null;
        if (!pr || pr.right <= vw + 1) { culprits.push(describe(el) + ' reaches ' + Math.round(r.right) + 'px'); }
      }
    }
    var marker = { present: false, visible: false, text: '' };
    if (markerPattern && body) {
      var re = new RegExp(markerPattern, 'i');
      var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, null);
      var n;
      while ((n = walker.nextNode())) {
        if (re.test(n.nodeValue)) {
          marker.present = true;
          marker.text = n.nodeValue.trim().slice(0, 80);
          if (n.parentElement && visible(n.parentElement)) { marker.visible = true; break; }
        }
      }
    }
    var scripts = [], inline = [];
    var ss = document.getElementsByTagName('script');
    for (var j = 0; j < ss.length; j++) {
      var t = (ss[j].type || '').toLowerCase();
      var classic = !t || /^(text|application)\/(x-)?(javascript|ecmascript)$/.test(t);
      if (!classic || ss[j].noModule) { continue; }
      if (ss[j].src) { scripts.push(ss[j].src); } else if (inline.length < 20 && ss[j].text.trim()) { inline.push(ss[j].text.slice(0, 200000)); }
    }
    return JSON.stringify({
      url: location.href,
      title: document.title,
      height: Math.max(de.scrollHeight, body ? body.scrollHeight : 0),
      width: vw,
      overflow: overflow,
      culprits: culprits,
      marker: marker,
      text: body ? (body.innerText || '').slice(0, 20000) : '',
      dialogs: pf.dialogs,
      dialogSamples: pf.dialogSamples,
      popups: pf.popups,
      scripts: scripts,
      inlineScripts: inline
    });
  };

  // ----- forms -----
  var SENSITIVE_NAME = /(card|cc-?num|cvv|cvc|csc|iban|expir|security.?code)/i;
  function fields(form) {
    var out = [], els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i], tag = el.tagName.toLowerCase();
      if (tag !== 'input' && tag !== 'textarea' && tag !== 'select') { continue; }
      var type = tag === 'input' ? (el.getAttribute('type') || 'text').toLowerCase() : tag;
      if (type === 'submit' || type === 'button' || type === 'reset' || type === 'image') { continue; }
      out.push({ el: el, name: el.name || el.id || '', type: type, required: !!el.required, autocomplete: (el.getAttribute('autocomplete') || '').toLowerCase() });
    }
    return out;
  }
  function sensitivity(fs) {
    for (var i = 0; i < fs.length; i++) {
      if (fs[i].type === 'password') { return 'password'; }
      if (fs[i].autocomplete.indexOf('cc-') === 0 || SENSITIVE_NAME.test(fs[i].name)) { return 'payment'; }
    }
    return null;
  }
  pf.forms = function () {
    var list = [];
    for (var i = 0; i < document.forms.length; i++) {
      var f = document.forms[i], fs = fields(f);
      list.push({
        index: i,
        id: f.id || '',
        name: f.getAttribute('name') || '',
        action: f.action || location.href,
        method: (f.getAttribute('method') || 'get').toLowerCase(),
        fields: fs.map(function (x) { return x.name + ':' + x.type + (x.required ? '*' : ''); }),
        fillable: fs.filter(function (x) { return x.type !== 'hidden' && x.type !== 'file'; }).length,
        sensitive: sensitivity(fs),
        label: f.id ? '#' + f.id : (f.getAttribute('name') ? '"' + f.getAttribute('name') + '"' : (i + 1) + ' on the page')
      });
    }
    return JSON.stringify(list);
  };

  var VALID = {
    email: 'preflight.test@example.com', tel: '+1 555 0100', url: 'https://example.com/',
    number: '3', range: null, date: '2030-06-15', 'datetime-local': '2030-06-15T10:30', month: '2030-06',
    week: '2030-W24', time: '10:30', color: '#336699', search: 'preflight', password: 'Preflight-Test-1!',
    textarea: 'This is a test message sent by Preflight, the launch checker. Please ignore it.',
    text: 'Preflight Test'
  };
  function plausible(x, unicode, intl) {
    var n = x.name.toLowerCase();
    if (x.type === 'text' || x.type === 'textarea' || x.type === 'search') {
      if (/mail/.test(n)) { return VALID.email; }
      if (/phone|tel|mobile/.test(n)) { return VALID.tel; }
      if (/zip|postal|postcode/.test(n)) { return '10115'; }
      if (/card|cc-?num/.test(n)) { return '4242 4242 4242 4242'; }
      if (/cvc|cvv/.test(n)) { return '123'; }
      if (unicode) { return x.type === 'textarea' ? intl + ' — ' + VALID.textarea : intl; }
    }
    if (x.type === 'number') {
      var min = parseFloat(x.el.min), max = parseFloat(x.el.max);
      var v = isNaN(min) ? 3 : min;
      if (!isNaN(max) && v > max) { v = max; }
      return String(v);
    }
    if (Object.prototype.hasOwnProperty.call(VALID, x.type) && VALID[x.type] !== null) { return VALID[x.type]; }
    return VALID.text;
  }
  // Malformed data, as a script (not a browser) would send it: the page must survive it and
  // must not send the markup back as markup.
  var MARKUP = '<b data-pf-probe="1">pf</b><script>window.__pfScriptRan=1<\/script>';
  var SANITISING = { number: 1, range: 1, date: 1, 'datetime-local': 1, month: 1, week: 1, time: 1, color: 1 };
  function malformed(x) {
    var n = x.name.toLowerCase();
    if (x.type === 'email' || /mail/.test(n)) { return 'not-an-address@'; }
    if (SANITISING[x.type]) { x.el.type = 'text'; return 'twelve'; }
    if (x.type === 'tel' || /phone|tel|mobile/.test(n)) { return 'call me maybe'; }
    if (x.type === 'textarea') { return MARKUP + ' ' + new Array(10001).join('x'); }
    return MARKUP;
  }
  function setValue(el, value) {
    var proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    var desc = Object.getOwnPropertyDescriptor(proto, 'value');
    if (desc && desc.set) { desc.set.call(el, value); } else { el.value = value; }
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }
  // mode: 'valid' | 'empty' | 'unicode'. Fills the form and submits it unless the browser's
  // own validation stops it; returns what was sent and whether it was stopped.
  pf.fillAndSubmit = function (index, mode, intl) {
    var form = document.forms[index];
    if (!form) { return JSON.stringify({ error: 'the form is no longer on the page' }); }
    var fs = fields(form), sent = {}, radios = {};
    if (mode === 'malformed') { form.noValidate = true; }
    for (var i = 0; i < fs.length; i++) {
      var x = fs[i], el = x.el;
      if (x.type === 'hidden' || x.type === 'file' || el.disabled || el.readOnly) { continue; }
      if (mode === 'empty') {
        if (x.type === 'checkbox' || x.type === 'radio') { el.checked = false; } else if (x.type === 'select') { el.selectedIndex = -1; } else { setValue(el, ''); }
        continue;
      }
      if (x.type === 'checkbox') { el.checked = true; continue; }
      if (x.type === 'radio') { if (!radios[el.name]) { radios[el.name] = true; el.checked = true; } continue; }
      if (x.type === 'select') {
        for (var k = 0; k < el.options.length; k++) { if (el.options[k].value) { el.selectedIndex = k; break; } }
        sent[x.name] = el.value;
        continue;
      }
      var v = mode === 'malformed' ? malformed(x) : plausible(x, mode === 'unicode', intl);
      setValue(el, v);
      sent[x.name] = v;
    }
    var blocked = false, message = '';
    // (Malformed data is meant to get past the browser's checks, as a script's would.)
    if (mode !== 'malformed' && form.checkValidity && !form.checkValidity()) {
      blocked = true;
      for (var j = 0; j < fs.length; j++) {
        if (fs[j].el.validationMessage) { message = (fs[j].name || fs[j].type) + ': ' + fs[j].el.validationMessage; break; }
      }
    }
    var before = document.body ? (document.body.innerText || '').slice(0, 20000) : '';
    if (!blocked) {
      setTimeout(function () {
        try { if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } } catch (e) { form.submit(); }
      }, 0);
    }
    return JSON.stringify({ sent: sent, blocked: blocked, validation: message, before: before });
  };

  var ERROR_SELECTOR = '[role=alert], [aria-invalid=true], .error, .errors, .errorlist, .error-message, .field-error, .invalid-feedback, .help-block, .alert-danger, .alert-error, .form-error, .has-error, .is-invalid';
  pf.afterSubmit = function () {
    var msgs = [];
    var els = document.querySelectorAll(ERROR_SELECTOR);
    for (var i = 0; i < els.length && msgs.length < 5; i++) {
      var t = (els[i].innerText || '').trim();
      if (t && visible(els[i])) { msgs.push(t.slice(0, 160)); }
    }
    var values = [];
    var inputs = document.querySelectorAll('input, textarea');
    for (var j = 0; j < inputs.length && values.length < 50; j++) { if (inputs[j].value) { values.push(String(inputs[j].value).slice(0, 500)); } }
    var invalid = document.querySelectorAll(':invalid').length;
    return JSON.stringify({
      url: location.href,
      title: document.title,
      text: document.body ? (document.body.innerText || '').slice(0, 20000) : '',
      errorMessages: msgs,
      values: values,
      invalidFields: invalid,
      stylesheets: document.styleSheets ? document.styleSheets.length : 0,
      markup: !!document.querySelector('[data-pf-probe]'),
      scriptRan: window.__pfScriptRan === 1
    });
  };
})();
