/* Slips: print a blank numbered slip at this counter, reprint one by its
 * number, or open the declaration form to transcribe a returned paper slip. */
(function () {
  'use strict';

  var counter = '';

  // A slip number as printed ("00017-1"), without its dash ("000171"), or
  // the slip's QR code as a keyboard-wedge scanner types it
  // ("RAVAO:SLIP:000171", docs/payload-formats.md).
  function slipNumber(text) {
    var s = String(text || '').replace(/\s+/g, '').replace(/^RAVAO:SLIP:/, '');
    return /^[0-9A-Z]{1,16}(-[0-9])?$/.test(s) ? s : '';
  }

  // A returned slip's QR scanned at this counter's scanner: its number goes
  // into the transcription field.
  var lastScanned = '';

  function listen() {
    if (!window.EventSource) return;
    var source = new EventSource('/api/events?counter=' + encodeURIComponent(counter));
    source.addEventListener('record', function (ev) {
      var r = null;
      try { r = JSON.parse(ev.data); } catch (e) { return; }
      if (r && r.record) r = r.record;
      if (!r || r.payload_kind !== 'ravao_slip') return;
      var number = slipNumber(r.payload);
      // One scan can make more than one record: fill the field once.
      if (!number || number === lastScanned) return;
      lastScanned = number;
      R.byId('transcribe-number').value = number;
      R.say('transcribe-note', 'Vừa quét phiếu số ' + number + ': bấm “Mở mẫu khai báo” để chép tờ khai.', 'good');
    });
  }

  function printBlank() {
    var b = R.byId('slip-print');
    b.disabled = true;
    R.post('/api/slips/print', { counter: counter }, function (status, data) {
      b.disabled = false;
      if (status === 200 && data) {
        R.say('slip-print-result', 'Đã gửi lệnh in phiếu số ' + (data.slip || data.number || '') +
          (data.job ? ' (lệnh in ' + data.job + ')' : '') + '.', 'good');
      } else {
        R.say('slip-print-result', R.failure(status, data), 'bad');
      }
    });
  }

  function reprint(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    var input = R.byId('reprint-number');
    var number = slipNumber(input.value);
    if (!number) {
      R.say('reprint-result', 'Nhập số phiếu gồm chữ số, ví dụ 00017-1.', 'bad');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return false;
    }
    input.removeAttribute('aria-invalid');
    var b = R.byId('slip-reprint');
    b.disabled = true;
    R.post('/api/slips/reprint', { number: number, counter: counter }, function (status, data) {
      b.disabled = false;
      if (status === 200) {
        R.say('reprint-result', 'Đã gửi lệnh in lại phiếu số ' + number +
          (data && data.id ? ' (lệnh in ' + data.id + ')' : '') + '.', 'good');
      } else {
        R.say('reprint-result', R.failure(status, data), 'bad');
      }
    });
    return false;
  }

  function transcribe(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    var input = R.byId('transcribe-number');
    var number = slipNumber(input.value);
    if (!number) {
      R.say('transcribe-error', 'Nhập số phiếu gồm chữ số, ví dụ 00017-1.', 'bad');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return false;
    }
    window.location.href = '/declare.html?c=' + encodeURIComponent(counter) + '&slip=' + encodeURIComponent(number);
    return false;
  }

  R.start(function () {
    counter = R.pageCounter();
    R.topbar('slips');
    if (!R.mayUse(counter)) { R.forbidden(); return; }
    R.setText('slips-title', 'Phiếu khai báo – ' + R.counterName(counter));
    R.byId('slip-print').onclick = printBlank;
    R.byId('reprint-form').onsubmit = reprint;
    R.byId('transcribe-form').onsubmit = transcribe;
    listen();
  });
}());
