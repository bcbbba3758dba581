/* Declaration on a visitor's behalf ("khai báo hộ"). The form is drawn from
 * GET /api/form, in its order; it is pre-filled from GET /api/last-scan (the
 * clear fields of the CCCD or personal QR scanned at this counter in the last
 * two minutes); a 422 answer puts each error next to its field
 * (aria-describedby). With ?slip=N it transcribes returned paper slip N. */
(function () {
  'use strict';

  var counter = '';
  var slip = '';
  var fields = [];        // the form definition's fields, in order
  var form = R.byId('declare-form');

  var hints = {
    date: 'Ngày/tháng/năm, ví dụ 02/09/2026',
    year_or_date: 'Năm sinh (1990) hoặc ngày sinh (02/01/1990)',
    phone: 'Ví dụ 0912 345 678',
    id_number: 'CCCD 12 số, CMND 9 số hoặc số hộ chiếu'
  };

  function inputId(name) { return 'f-' + name; }
  function errorId(name) { return 'err-' + name; }

  function options(f) {
    var out = [];
    var list = f.options || [];
    for (var i = 0; i < list.length; i++) {
      var o = list[i];
      if (Object.prototype.toString.call(o) === '[object Array]') out.push([String(o[0]), String(o[1])]);
      else if (o && typeof o === 'object') out.push([String(o.value), String(o.label || o.value)]);
      else out.push([String(o), String(o)]);
    }
    return out;
  }

  // One field: label bound to its input, hint and error referenced by
  // aria-describedby.
  function drawField(f) {
    var wrap = R.el('div', 'field');
    wrap.id = 'field-' + f.name;
    var described = [];
    var hintText = f.hint || hints[f.type];
    var input;
    if (f.type === 'yes_no' || (f.type === 'choice' && options(f).length <= 3)) {
      wrap.className += ' wide';
      input = R.el('fieldset', '');
      input.id = inputId(f.name);
      var legend = R.el('legend', '', f.label || f.name);
      if (f.required) legend.appendChild(R.el('span', 'required', ' *'));
      input.appendChild(legend);
      var opts = f.type === 'yes_no' ? [['yes', 'Có'], ['no', 'Không']] : options(f);
      if (!f.required) opts.push(['', 'Không rõ / không trả lời']);
      for (var i = 0; i < opts.length; i++) {
        var lab = R.el('label', 'choice');
        var radio = document.createElement('input');
        radio.setAttribute('type', 'radio');
        radio.setAttribute('name', f.name);
        radio.value = opts[i][0];
        radio.id = inputId(f.name) + '-' + (opts[i][0] || 'none');
        if (opts[i][0] === '' ) radio.checked = true;
        lab.setAttribute('for', radio.id);
        lab.appendChild(radio);
        lab.appendChild(document.createTextNode(opts[i][1]));
        input.appendChild(lab);
      }
      wrap.appendChild(input);
    } else {
      var label = R.el('label', '', f.label || f.name);
      label.setAttribute('for', inputId(f.name));
      if (f.required) label.appendChild(R.el('span', 'required', ' * (bắt buộc)'));
      wrap.appendChild(label);
      if (f.type === 'choice') {
        input = document.createElement('select');
        var list = [['', '— Chọn —']].concat(options(f));
        for (var j = 0; j < list.length; j++) {
          var o = R.el('option', '', list[j][1]);
          o.value = list[j][0];
          input.appendChild(o);
        }
      } else if (f.type === 'textarea') {
        input = document.createElement('textarea');
        input.setAttribute('rows', '3');
      } else {
        input = document.createElement('input');
        input.setAttribute('type', f.type === 'phone' ? 'tel' : 'text');
        if (f.type === 'phone') input.setAttribute('autocomplete', 'off');
        if (f.type === 'date' || f.type === 'year_or_date') input.setAttribute('inputmode', 'numeric');
        input.setAttribute('autocomplete', 'off');
      }
      input.id = inputId(f.name);
      input.setAttribute('name', f.name);
      if (f.max) input.setAttribute('maxlength', String(f.max));
      if (f.type !== 'choice') input.setAttribute('dir', 'auto');
      if (f.required) input.setAttribute('aria-required', 'true');
      wrap.appendChild(input);
    }
    if (hintText) {
      var hint = R.el('p', 'hint', hintText);
      hint.id = 'hint-' + f.name;
      described.push(hint.id);
      wrap.appendChild(hint);
    }
    var err = R.el('p', 'error', '');
    err.id = errorId(f.name);
    err.setAttribute('hidden', 'hidden');
    described.push(err.id);
    wrap.appendChild(err);
    input.setAttribute('aria-describedby', described.join(' '));
    return wrap;
  }

  function drawForm(def) {
    fields = R.list(def, 'fields');
    var box = R.byId('fields');
    R.clear(box);
    for (var i = 0; i < fields.length; i++) box.appendChild(drawField(fields[i]));
    R.show('form-loading', false);
    if (def && def.consent) {
      R.setText('consent', def.consent);
      R.show('consent', true);
    }
  }

  function isGroup(f) { return R.byId(inputId(f.name)).tagName === 'FIELDSET'; }

  function getValue(f) {
    if (isGroup(f)) {
      var radios = form.elements[f.name];
      for (var i = 0; i < radios.length; i++) if (radios[i].checked) return radios[i].value;
      return '';
    }
    return R.byId(inputId(f.name)).value;
  }

  function setValue(f, value) {
    if (isGroup(f)) {
      var radios = form.elements[f.name];
      for (var i = 0; i < radios.length; i++) radios[i].checked = radios[i].value === value;
      return;
    }
    R.byId(inputId(f.name)).value = value;
  }

  function clearErrors() {
    for (var i = 0; i < fields.length; i++) {
      var e = R.byId(errorId(fields[i].name));
      e.textContent = '';
      e.setAttribute('hidden', 'hidden');
      R.byId(inputId(fields[i].name)).removeAttribute('aria-invalid');
    }
    R.say('form-error', '');
  }

  function fieldByName(name) {
    for (var i = 0; i < fields.length; i++) if (fields[i].name === name) return fields[i];
    return null;
  }

  // field_errors is {name: message} (the contract) or [{field, message_vi}].
  function showErrors(data) {
    var errs = (data && data.field_errors) || {};
    var pairs = [];
    if (Object.prototype.toString.call(errs) === '[object Array]') {
      for (var i = 0; i < errs.length; i++) pairs.push([errs[i].field, errs[i].message_vi || errs[i].message]);
    } else {
      for (var k in errs) if (Object.prototype.hasOwnProperty.call(errs, k)) pairs.push([k, errs[k]]);
    }
    var first = null;
    var general = [];
    for (var j = 0; j < pairs.length; j++) {
      var f = fieldByName(pairs[j][0]);
      if (!f) { general.push(pairs[j][1]); continue; }
      var e = R.byId(errorId(f.name));
      e.textContent = pairs[j][1];
      e.removeAttribute('hidden');
      var input = R.byId(inputId(f.name));
      input.setAttribute('aria-invalid', 'true');
      if (!first) first = input;
    }
    var head = 'Tờ khai chưa được ghi: sửa các ô được đánh dấu.';
    if (pairs.length === 0) head = R.failure(422, data);
    if (general.length) head += ' ' + general.join(' ');
    R.say('form-error', head, 'bad');
    if (first) {
      (first.tagName === 'FIELDSET' ? first.getElementsByTagName('input')[0] : first).focus();
    } else {
      R.byId('form-error').focus();
    }
  }

  function prefill(quiet) {
    R.get('/api/last-scan?counter=' + encodeURIComponent(counter), function (status, data) {
      if (status === 403) { R.forbidden(); return; }
      if (status !== 200 || !data || !data.fields) {
        if (!quiet) R.say('prefill-note', 'Không có thẻ nào được quét ở quầy này trong 2 phút vừa qua.', '');
        return;
      }
      var n = 0;
      for (var name in data.fields) {
        if (!Object.prototype.hasOwnProperty.call(data.fields, name)) continue;
        var f = fieldByName(name);
        if (!f) continue;
        var v = String(data.fields[name]);
        if (f.type === 'yes_no' || f.type === 'choice') {
          var opts = f.type === 'yes_no' ? [['yes'], ['no']] : options(f);
          var ok = false;
          for (var i = 0; i < opts.length; i++) if (opts[i][0] === v) ok = true;
          if (!ok) continue;
        }
        setValue(f, v);
        n++;
      }
      var kind = data.kind === 'cccd' ? 'thẻ CCCD' : 'mã QR cá nhân';
      R.say('prefill-note', 'Đã điền sẵn ' + n + ' ô từ ' + kind + ' quét lúc ' + R.clock(data.time) +
        '. Kiểm tra lại với khách rồi hỏi thêm số điện thoại.', 'good');
    });
  }

  function submit(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    clearErrors();
    var values = {};
    for (var i = 0; i < fields.length; i++) {
      var v = getValue(fields[i]);
      if (v !== '') values[fields[i].name] = v;
    }
    var body = { counter: counter, fields: values, print_copy: R.byId('print-copy').checked };
    if (slip) body.slip = slip;
    var button = R.byId('declare-submit');
    button.disabled = true;
    R.post('/api/declare', body, function (status, data) {
      button.disabled = false;
      if (status === 422) { showErrors(data); return; }
      if (status !== 200 || !data) { R.say('form-error', R.failure(status, data), 'bad'); return; }
      var text = 'Đã ghi tờ khai, số bản ghi ' + data.seq;
      if (data.visit) text += ', lượt khách ' + data.visit;
      if (data.slip) text += ', phiếu ' + data.slip;
      text += '.';
      if (body.print_copy) text += ' Đang in một bản cho khách.';
      R.say('declare-result', text, 'good');
      form.reset();
      resetChoices();
      R.say('prefill-note', '');
      R.byId('declare-result').focus();
    });
    return false;
  }

  function resetChoices() {
    for (var i = 0; i < fields.length; i++) if (isGroup(fields[i]) && !fields[i].required) setValue(fields[i], '');
  }

  R.start(function () {
    counter = R.pageCounter();
    slip = R.param('slip') || '';
    R.topbar('declare');
    if (!R.mayUse(counter)) { R.forbidden(); return; }
    R.setText('declare-title', 'Khai báo hộ – ' + R.counterName(counter));
    if (slip) {
      R.say('slip-note', 'Nhập lại tờ khai giấy số ' + slip + ': chép đúng những gì khách đã ghi trên phiếu.', '');
      R.show('prefill-reload', false);
    }
    R.get('/api/form', function (status, data) {
      if (status !== 200 || !data) { R.pageError(R.failure(status, data)); return; }
      drawForm(data);
      form.onsubmit = submit;
      form.onreset = function () { window.setTimeout(resetChoices, 0); clearErrors(); };
      R.byId('prefill-reload').onclick = function () { prefill(false); };
      if (!slip) prefill(true);
      var firstInput = R.byId('fields').getElementsByTagName('input')[0];
      if (firstInput) firstInput.focus();
    });
  });
}());
