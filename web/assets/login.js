/* Login page: POST /api/login, then the page asked for (?next=) or the
 * role's start page. A 429 (too many wrong passwords) says how long to wait. */
(function () {
  'use strict';

  var form = R.byId('login-form');
  var user = R.byId('login-user');
  var password = R.byId('login-password');
  var submit = R.byId('login-submit');

  // Only a path on this site: never an absolute or protocol-relative URL.
  function nextPage(session) {
    var next = R.param('next');
    if (next && next.charAt(0) === '/' && next.charAt(1) !== '/' && next.charAt(1) !== '\\' &&
        next.indexOf('/login.html') !== 0) {
      return next;
    }
    return R.homeOf(session);
  }

  function waitText(seconds) {
    if (seconds >= 120) return Math.ceil(seconds / 60) + ' phút';
    return seconds + ' giây';
  }

  if (R.param('het') !== null) {
    R.say('login-note', 'Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.', 'bad');
  } else if (R.param('ra') !== null) {
    R.say('login-note', 'Bạn đã đăng xuất.', 'good');
  } else if (R.param('khong_quay') !== null) {
    R.say('login-note', 'Tài khoản này chưa được gán quầy nào. Nhờ người quản lý gán quầy.', 'bad');
  }

  // Already logged in: go on.
  R.get('/api/session', function (status, data) {
    if (status === 200 && data && R.param('khong_quay') === null) window.location.href = nextPage(data);
  }, { no_redirect: true });

  form.onsubmit = function (ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    R.say('login-error', '');
    if (!user.value || !password.value) {
      R.say('login-error', 'Nhập tên đăng nhập và mật khẩu.', 'bad');
      (user.value ? password : user).focus();
      return false;
    }
    submit.disabled = true;
    R.post('/api/login', { user: user.value, password: password.value }, function (status, data, xhr) {
      submit.disabled = false;
      if (status === 200 && data) {
        R.session = data;
        window.location.href = nextPage(data);
        return;
      }
      password.value = '';
      if (status === 429) {
        var wait = parseInt(xhr.getResponseHeader('Retry-After') || '', 10);
        var text = 'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ' +
          (wait > 0 ? waitText(wait) : 'ít phút') + '.';
        R.say('login-error', text, 'bad');
      } else if (status === 401) {
        R.say('login-error', (data && data.error) || 'Sai tên đăng nhập hoặc mật khẩu', 'bad');
      } else {
        R.say('login-error', R.failure(status, data), 'bad');
      }
      password.focus();
    }, { no_redirect: true });
    return false;
  };

  user.focus();
}());
