/* Counter page: today's visits at one counter, newest first, masked by the
 * daemon; live through EventSource /api/events?counter=C, the visit just
 * scanned highlighted; check out and undo; the scanner's and printer's
 * state with what to do. */
(function () {
  'use strict';

  var counter = '';
  var visits = [];          // as GET /api/visits answers, newest first
  var newest = 0;           // visit id highlighted (the one just scanned)
  var source = null;        // the EventSource
  var refreshTimer = null;
  var retryTimer = null;

  function q() { return '?counter=' + encodeURIComponent(counter); }

  function closeReason(v) {
    switch (v.close_reason) {
      case 'staff_checkout': return 'nhân viên cho ra';
      case 'max_duration': return 'tự đóng (quá giờ)';
      case 'end_of_day': return 'tự đóng (hết ngày)';
      case 'exit_without_entry': return 'ra không có lượt vào';
      default: return '';
    }
  }

  function checkout(visitId, button) {
    button.disabled = true;
    R.post('/api/visits/checkout', { counter: counter, visit: visitId }, function (status, data) {
      button.disabled = false;
      if (status === 200) {
        R.say('action-result', 'Đã cho khách ra (lượt ' + visitId + ').', 'good');
        loadVisits();
      } else {
        R.say('action-result', R.failure(status, data), 'bad');
      }
    });
  }

  function row(v) {
    var tr = R.el('tr', '');
    tr.id = 'visit-' + v.id;
    if (v.id === newest) tr.className = 'newest';
    if (v.open === false) tr.className += ' closed';
    tr.appendChild(R.el('td', 'num', v.id));
    tr.appendChild(R.el('td', '', v.opened ? R.clock(v.opened) : '—'));
    var name = R.el('td', 'name');
    name.appendChild(R.bdi(v.person_name || '—'));
    tr.appendChild(name);
    var id = R.el('td', 'id');
    id.appendChild(R.bdi(v.person_id || '—'));
    tr.appendChild(id);
    var out = R.el('td', '', v.closed ? R.clock(v.closed) : 'đang ở quầy');
    var why = closeReason(v);
    if (why && v.closed) out.appendChild(R.el('span', 'hint', ' (' + why + ')'));
    tr.appendChild(out);
    var act = R.el('td', '');
    if (v.open) {
      var b = R.el('button', 'secondary checkout', 'Cho ra');
      b.setAttribute('type', 'button');
      b.id = 'checkout-' + v.id;
      b.setAttribute('aria-label', 'Cho khách lượt ' + v.id + ' ra');
      b.onclick = function () { checkout(v.id, b); };
      act.appendChild(b);
    }
    tr.appendChild(act);
    return tr;
  }

  function draw() {
    var body = R.byId('visits-body');
    R.clear(body);
    for (var i = 0; i < visits.length; i++) body.appendChild(row(visits[i]));
    R.show('visits-empty', visits.length === 0);
  }

  function loadVisits() {
    R.get('/api/visits' + q(), function (status, data) {
      if (status === 403) { R.forbidden(); return; }
      if (status !== 200) { R.pageError(R.failure(status, data)); return; }
      visits = R.list(data, 'visits');
      draw();
    });
  }

  // After a live event: the list from the server within half a second
  // (a scan can close one visit and open another, undo removes one).
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () { refreshTimer = null; loadVisits(); }, 500);
  }

  function findVisit(id) {
    for (var i = 0; i < visits.length; i++) if (visits[i].id === id) return visits[i];
    return null;
  }

  // A committed record at this counter: shown at once, then reconciled.
  function onRecord(r) {
    if (!r || (r.counter && r.counter !== counter) || !r.visit) { refreshSoon(); return; }
    var v = findVisit(r.visit);
    if (r.payload_kind) newest = r.visit;
    if (!v && r.type === 'visit_opened') {
      v = { id: r.visit, person_name: r.person_name, person_id: r.person_id, opened: r.time,
            closed: null, open: true, close_reason: '' };
      visits.unshift(v);
    } else if (v && r.type === 'visit_closed') {
      v.closed = r.time;
      v.open = false;
      v.close_reason = r.close_reason || v.close_reason;
    }
    draw();
    refreshSoon();
  }

  function deviceClass(state) {
    // A printer that never reported its paper ('unknown') is connected.
    if (state === 'online' || state === 'unknown') return 'ok';
    if (state === 'paper_near_end' || state === 'starting') return 'warn';
    return 'bad';
  }

  function showDevice(id, what, d, none) {
    var e = R.byId(id);
    R.clear(e);
    e.appendChild(R.el('span', 'what', what));
    if (!d) {
      e.appendChild(document.createTextNode(none));
      e.className = 'device';
      return;
    }
    var state = typeof d === 'string' ? d : d.state;
    e.appendChild(document.createTextNode((d.text) || state || ''));
    e.className = 'device ' + deviceClass(state);
    e.setAttribute('data-state', state || '');
  }

  function loadDevices() {
    R.get('/api/counters', function (status, data) {
      if (status !== 200) return;
      var list = R.list(data, 'counters');
      for (var i = 0; i < list.length; i++) {
        if (list[i].id !== counter) continue;
        showDevice('scanner-state', 'Đầu đọc mã', list[i].scanner, 'Quầy này không có đầu đọc mã.');
        showDevice('printer-state', 'Máy in', list[i].printer, 'Quầy này không có máy in.');
        R.setText('counter-title', 'Quầy: ' + (list[i].name || counter));
      }
    });
  }

  function parse(ev) {
    try { return JSON.parse(ev.data); } catch (e) { return null; }
  }

  function live(ok) {
    var e = R.byId('live-state');
    e.textContent = ok ? '· đang cập nhật trực tiếp' : '· mất kết nối, đang thử lại…';
    e.className = ok ? 'live' : 'live bad';
  }

  function listen() {
    if (!window.EventSource) {
      // No Server-Sent Events in this browser: poll instead.
      window.setInterval(function () { loadVisits(); loadDevices(); }, 3000);
      return;
    }
    source = new EventSource('/api/events' + q());
    source.addEventListener('open', function () { live(true); loadVisits(); loadDevices(); });
    source.addEventListener('record', function (ev) {
      var d = parse(ev);
      onRecord(d && d.record ? d.record : d);
    });
    source.addEventListener('device', function () { loadDevices(); });
    // Every 15 s: the list and devices again, so that an event lost while
    // the stream was being set up or re-established shows within 15 s.
    source.addEventListener('heartbeat', function () { live(true); refreshSoon(); loadDevices(); });
    source.onerror = function () {
      live(false);
      if (source.readyState !== 2 || retryTimer) return;  // 2 = CLOSED: the browser gave up
      // Closed for good (the server refused): expired session, or retry.
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        R.get('/api/session', function (status) {
          if (status === 200) listen();
        });
      }, 3000);
    };
  }

  R.start(function () {
    counter = R.pageCounter();
    R.topbar('counter');
    if (!R.mayUse(counter)) { R.forbidden(); return; }
    R.setText('counter-title', 'Quầy: ' + R.counterName(counter));
    document.title = 'Quầy ' + R.counterName(counter) + ' – Ravao';
    R.byId('link-declare').setAttribute('href', '/declare.html' + '?c=' + encodeURIComponent(counter));
    R.byId('link-slips').setAttribute('href', '/slips.html' + '?c=' + encodeURIComponent(counter));
    R.byId('undo-last').onclick = function () {
      var b = this;
      b.disabled = true;
      R.post('/api/visits/undo', { counter: counter }, function (status, data) {
        b.disabled = false;
        if (status === 200) {
          R.say('action-result', 'Đã hoàn tác lượt quét cuối' + (data && data.visit ? ' (lượt ' + data.visit + ')' : '') + '.', 'good');
          loadVisits();
        } else {
          R.say('action-result', R.failure(status, data), 'bad');
        }
      });
    };
    loadVisits();
    loadDevices();
    listen();
  });
}());
