/* Supervisor: every counter at a glance, today's visits per hour (an SVG the
 * server draws), devices and alarms, the upload to the province, the week's
 * summary with its CSV, and the command card / check-in poster per counter.
 * Refreshed every 30 s. */
(function () {
  'use strict';

  var stateText = {
    online: 'hoạt động', offline: 'mất kết nối', error: 'lỗi', starting: 'đang khởi động',
    unknown: 'chưa rõ', paper_out: 'hết giấy', paper_near_end: 'sắp hết giấy', cover_open: 'nắp mở',
    unassigned: 'chưa gán'
  };
  var syncText = {
    off: 'Chưa cấu hình gửi dữ liệu lên tỉnh.',
    waiting_for_clock: 'Đang chờ đồng hồ máy được đồng bộ.',
    idle: 'Đã gửi xong, đang chờ bản ghi mới.',
    uploading: 'Đang gửi dữ liệu.',
    retrying: 'Gửi không được, sẽ thử lại.'
  };

  function words(s) { return stateText[s] || s || '—'; }

  function cell(tr, text, className) {
    var td = R.el('td', className || '', text);
    tr.appendChild(td);
    return td;
  }

  function printButton(text, what, url, counter, id) {
    var b = R.el('button', 'secondary', text);
    b.setAttribute('type', 'button');
    b.id = id;
    b.onclick = function () {
      b.disabled = true;
      R.post(url, { counter: counter.id }, function (status, data) {
        b.disabled = false;
        if (status === 200) {
          R.say('print-result', 'Đã gửi lệnh in ' + what + ' tới máy in của ' + (counter.name || counter.id) + '.', 'good');
        } else {
          R.say('print-result', R.failure(status, data), 'bad');
        }
      });
    };
    return b;
  }

  function drawCounters(list) {
    var body = R.byId('overview-counters');
    R.clear(body);
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      var tr = R.el('tr', '');
      tr.id = 'overview-' + c.id;
      var name = R.el('td', '');
      var a = R.link('/counter.html?c=' + encodeURIComponent(c.id), c.name || c.id, false);
      name.appendChild(a);
      tr.appendChild(name);
      cell(tr, c.scanner && typeof c.scanner === 'object' ? (c.scanner.text || words(c.scanner.state)) : words(c.state));
      cell(tr, c.printer && typeof c.printer === 'object' ? (c.printer.text || words(c.printer.state)) : 'Không có máy in');
      cell(tr, c.visits_today === undefined ? '—' : c.visits_today, 'num');
      cell(tr, c.open_visits === undefined ? '—' : c.open_visits, 'num');
      cell(tr, c.last_scan ? R.clock(c.last_scan) : '—');
      var act = R.el('td', '');
      act.appendChild(printButton('In thẻ lệnh', 'thẻ lệnh', '/api/cards/print', c, 'card-' + c.id));
      act.appendChild(document.createTextNode(' '));
      act.appendChild(printButton('In áp phích QR', 'áp phích mã QR đăng ký', '/api/poster/print', c, 'poster-' + c.id));
      tr.appendChild(act);
      body.appendChild(tr);
    }
  }

  function drawDevices(list) {
    var body = R.byId('devices-body');
    R.clear(body);
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      var tr = R.el('tr', '');
      var id = R.el('td', '');
      id.appendChild(R.bdi(d.id || d.attached || '—'));
      tr.appendChild(id);
      cell(tr, d.type === 'printer' ? 'Máy in' : d.type === 'scanner' ? 'Đầu đọc mã' : 'USB chưa dùng');
      cell(tr, d.counter || '—');
      cell(tr, d.text || words(d.state));
      cell(tr, d.type === 'printer' ? words(d.paper) : '');
      var why = R.el('td', 'hide-narrow');
      why.appendChild(R.bdi(d.reason || ''));
      tr.appendChild(why);
      body.appendChild(tr);
    }
  }

  // Each alarm (docs/control.md, "Alarms"): where, then what happened and
  // what to do in Vietnamese; its code in data-code; the English message
  // (for the IT admin) only as the item's title.
  function drawAlarms(list, counters) {
    var names = {};
    for (var k = 0; k < counters.length; k++) names[counters[k].id] = counters[k].name || counters[k].id;
    var ul = R.byId('alarms');
    R.clear(ul);
    for (var i = 0; i < list.length; i++) {
      var a = list[i] || {};
      var li = R.el('li', 'alarm');
      li.setAttribute('data-code', a.code || '');
      if (a.message) li.setAttribute('title', a.message);
      var where = [];
      if (a.counter) where.push(names[a.counter] || a.counter);
      if (a.device) where.push((a.code && a.code.indexOf('printer.') === 0 ? 'máy in ' : 'máy quét ') + a.device);
      if (where.length) {
        li.appendChild(R.bdi(where.join(', '), 'alarm-where'));
        li.appendChild(document.createTextNode(': '));
      }
      li.appendChild(R.el('span', 'alarm-text', (a.message_vi || 'Có cảnh báo') +
                          (a.action_vi ? ': ' + a.action_vi : '') + '.'));
      ul.appendChild(li);
    }
    R.show('alarms-none', list.length === 0);
  }

  function drawSync(s) {
    var e = R.byId('sync-state');
    if (!s) { e.textContent = syncText.off; return; }
    var text = syncText[s.state] || s.state;
    if (typeof s.depth === 'number') text += ' Còn ' + s.depth + ' bản ghi chờ gửi.';
    if (s.last_error) text += ' Lỗi gần nhất: ' + s.last_error;
    e.textContent = text;
  }

  function loadOverview() {
    R.get('/api/overview', function (status, data) {
      if (status === 403) { R.forbidden(); return; }
      if (status !== 200 || !data) { R.pageError(R.failure(status, data)); return; }
      R.pageError('');
      var st = data.status || {};
      if (st.site && st.site.name) R.setText('site-title', 'Tổng quan – ' + st.site.name);
      R.setText('site-summary', st.now ? 'Cập nhật lúc ' + R.clock(st.now) + '.' : '');
      // counter_views: the counters with their devices in words (ravao-web).
      var counters = R.list(data.counter_views || data.counters, 'counters');
      drawCounters(counters);
      drawDevices(R.list(data.devices, 'devices'));
      drawAlarms(R.list(st.alarms || data.alarms), counters);
      drawSync(data.sync !== undefined ? data.sync : st.sync);
    });
  }

  function loadSummary() {
    R.get('/api/summary?days=7', function (status, data) {
      if (status !== 200 || !data) return;
      var days = R.list(data.days);
      var body = R.byId('summary-body');
      R.clear(body);
      for (var i = 0; i < days.length; i++) {
        var d = days[i];
        var tr = R.el('tr', '');
        cell(tr, d.date);
        cell(tr, R.counterName(d.counter));
        cell(tr, d.visits, 'num');
        cell(tr, d.declarations, 'num');
        cell(tr, d.slips_issued, 'num');
        cell(tr, d.slips_returned, 'num');
        cell(tr, d.duplicates, 'num');
        cell(tr, d.staff_checkouts, 'num');
        body.appendChild(tr);
      }
      R.show('summary-empty', days.length === 0);
    });
  }

  function reloadChart() {
    R.byId('hourly-chart').setAttribute('src', '/api/chart/hourly.svg?t=' + new Date().getTime());
  }

  R.start(function (session) {
    R.topbar('supervisor');
    if (session.role !== 'supervisor') { R.forbidden(); return; }
    loadOverview();
    loadSummary();
    window.setInterval(function () { loadOverview(); reloadChart(); }, 30000);
  });
}());
