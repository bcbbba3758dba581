/* Shared code of every page of the counter console (ravao-web).
 *
 * ES5 only (old desktop browsers, 7-inch Android tablets): var, function,
 * XMLHttpRequest, EventSource. No framework, no external URL, no inline
 * script (CSP default-src 'self').
 *
 * Every text that comes from the server is put into the page with
 * textContent, never innerHTML: a name read from an ID card is untrusted
 * and must stay text. Names are wrapped in <bdi dir="auto"> so a right-to-left
 * or bidi-override character cannot reorder the text around them.
 */
var R = (function () {
  'use strict';

  var R = {};
  R.session = null;   // the answer of GET /api/session once loaded
  R.csrf = '';

  R.param = function (name) {
    var q = window.location.search.substring(1).split('&');
    for (var i = 0; i < q.length; i++) {
      var kv = q[i].split('=');
      if (decodeURIComponent(kv[0]) === name) {
        return kv.length > 1 ? decodeURIComponent(kv.slice(1).join('=').replace(/\+/g, ' ')) : '';
      }
    }
    return null;
  };

  R.byId = function (id) { return document.getElementById(id); };

  // A new element with an optional class and text (textContent, never HTML).
  R.el = function (tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  // A name or any other text a visitor controls: isolated for bidi.
  R.bdi = function (text, className) {
    var e = R.el('bdi', className, text);
    e.setAttribute('dir', 'auto');
    return e;
  };

  R.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  };

  R.setText = function (id, text) {
    var e = R.byId(id);
    if (e) e.textContent = text === undefined || text === null ? '' : String(text);
    return e;
  };

  R.show = function (id, visible) {
    var e = typeof id === 'string' ? R.byId(id) : id;
    if (!e) return;
    if (visible) e.removeAttribute('hidden'); else e.setAttribute('hidden', 'hidden');
  };

  // "2026-11-23 10:14:02" -> "10:14:02"; anything else as it is.
  R.clock = function (t) {
    if (!t) return '';
    var s = String(t);
    return s.length >= 19 ? s.substring(11, 19) : s;
  };

  R.counterName = function (id) {
    var list = (R.session && R.session.counters) || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === id) return list[i].name || id;
    }
    return id;
  };

  R.loginUrl = function (expired) {
    var here = window.location.pathname + window.location.search;
    return '/login.html?' + (expired ? 'het=1&' : '') + 'next=' + encodeURIComponent(here);
  };

  // Called when the server says 401 after the page had a session: the
  // session expired (idle or absolute timeout) or was logged out elsewhere.
  R.expired = function () {
    window.location.href = R.loginUrl(R.session !== null);
  };

  /* One request to the HTTP API. `body` (an object) is sent as JSON.
   * done(status, data, xhr): data is the parsed JSON answer (null when the
   * answer is not JSON). A 401 leaves the page for the login page, unless
   * opts.no_redirect. Every POST carries the session's CSRF token. */
  R.request = function (method, url, body, done, opts) {
    opts = opts || {};
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader('Accept', 'application/json');
    if (method !== 'GET') {
      xhr.setRequestHeader('Content-Type', 'application/json; charset=utf-8');
      if (R.csrf) xhr.setRequestHeader('X-CSRF-Token', R.csrf);
    }
    xhr.timeout = opts.timeout || 30000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch (e) { data = null; }
      if (xhr.status === 401 && !opts.no_redirect) { R.expired(); return; }
      if (done) done(xhr.status, data, xhr);
    };
    xhr.send(body === undefined || body === null ? null : JSON.stringify(body));
    return xhr;
  };

  R.get = function (url, done, opts) { return R.request('GET', url, null, done, opts); };
  R.post = function (url, body, done, opts) { return R.request('POST', url, body, done, opts); };

  // The message to show for a failed request, in Vietnamese.
  R.failure = function (status, data) {
    if (status === 0) return 'Không kết nối được với máy chủ. Kiểm tra mạng rồi thử lại.';
    if (status === 403) return 'Bạn không có quyền làm việc này với tài khoản đang dùng.';
    if (data && typeof data.error === 'string' && data.error) return data.error;
    if (status === 502 || status === 503) return 'Dịch vụ ravaod không trả lời. Báo cho người phụ trách kỹ thuật.';
    return 'Có lỗi xảy ra (mã ' + status + '). Thử lại.';
  };

  // Shows a message in an element (role=status or role=alert in the page).
  R.say = function (id, text, kind) {
    var e = R.byId(id);
    if (!e) return;
    e.textContent = text || '';
    e.className = 'message' + (kind ? ' ' + kind : '');
    R.show(e, !!text);
  };

  R.pageError = function (text) { R.say('page-error', text, 'bad'); };

  R.link = function (href, text, current) {
    var a = R.el('a', current ? 'current' : '', text);
    a.setAttribute('href', href);
    if (current) a.setAttribute('aria-current', 'page');
    return a;
  };

  // The top bar: who is logged in, where they can go, and logout.
  R.topbar = function (active) {
    var bar = R.byId('topbar');
    if (!bar || !R.session) return;
    R.clear(bar);
    var brand = R.el('span', 'brand', 'Ravao – Bàn làm việc');
    bar.appendChild(brand);
    var nav = R.el('nav', 'nav');
    nav.setAttribute('aria-label', 'Các trang');
    var here = window.location.pathname;
    var c = R.param('c');
    if (R.session.role === 'supervisor') {
      nav.appendChild(R.link('/supervisor.html', 'Tổng quan', here === '/supervisor.html'));
    }
    var counters = R.session.counters || [];
    for (var i = 0; i < counters.length; i++) {
      var id = counters[i].id;
      var q = '?c=' + encodeURIComponent(id);
      var cur = c === id;
      var label = counters[i].name || id;
      nav.appendChild(R.link('/counter.html' + q, label, cur && here === '/counter.html'));
      if (cur || counters.length === 1) {
        nav.appendChild(R.link('/declare.html' + q, 'Khai báo hộ', cur && here === '/declare.html'));
        nav.appendChild(R.link('/slips.html' + q, 'Phiếu khai báo', cur && here === '/slips.html'));
      }
    }
    bar.appendChild(nav);
    var who = R.el('span', 'who');
    who.appendChild(document.createTextNode('Tài khoản: '));
    var name = R.bdi(R.session.user, '');
    name.id = 'whoami';
    who.appendChild(name);
    bar.appendChild(who);
    var out = R.el('button', 'secondary', 'Đăng xuất');
    out.id = 'logout';
    out.setAttribute('type', 'button');
    out.onclick = function () {
      R.post('/api/logout', {}, function () {
        window.location.href = '/login.html?ra=1';
      }, { no_redirect: true });
    };
    bar.appendChild(out);
  };

  /* Loads the session, then calls ready(session). Without a session the
   * page goes to login (coming back here afterwards). */
  R.start = function (ready) {
    R.get('/api/session', function (status, data) {
      if (status === 401) { window.location.href = R.loginUrl(false); return; }
      if (status !== 200 || !data) { R.pageError(R.failure(status, data)); return; }
      R.session = data;
      R.csrf = data.csrf || '';
      ready(data);
    }, { no_redirect: true });
  };

  // The counter a page works on (?c=ID), checked against the session.
  // Staff bound to other counters only see an error; the server refuses
  // them anyway (403).
  R.pageCounter = function () {
    var c = R.param('c');
    var list = (R.session && R.session.counters) || [];
    if (!c && list.length > 0) c = list[0].id;
    return c || '';
  };

  R.mayUse = function (counter) {
    if (!R.session) return false;
    if (R.session.role === 'supervisor') return true;
    var list = R.session.counters || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === counter) return true;
    return false;
  };

  R.forbidden = function () {
    R.say('page-error', 'Bạn không có quyền xem trang này. Hãy mở trang của quầy mình hoặc đăng nhập bằng tài khoản khác.', 'bad');
    var m = R.byId('content');
    if (m) R.show(m, false);
  };

  // The page the role starts on.
  R.homeOf = function (session) {
    if (session.role === 'supervisor') return '/supervisor.html';
    var list = session.counters || [];
    if (list.length > 0) return '/counter.html?c=' + encodeURIComponent(list[0].id);
    return '/login.html?khong_quay=1';
  };

  // A list from an answer that is either the array itself or {key: array}.
  R.list = function (data, key) {
    if (!data) return [];
    if (Object.prototype.toString.call(data) === '[object Array]') return data;
    if (key && data[key] && Object.prototype.toString.call(data[key]) === '[object Array]') return data[key];
    return [];
  };

  return R;
}());
