#include "support/usb/fake_usb.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <algorithm>

#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/ioctl.h>

namespace ravao::test::usb {

namespace {

void put16(bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v & 0xff));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

std::string hex(const bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

bytes string_descriptor(const std::string& ascii) {
  bytes b{static_cast<std::uint8_t>(2 + 2 * ascii.size()), 0x03};
  for (char c : ascii) put16(b, static_cast<std::uint8_t>(c));
  return b;
}

char strbuf[64];
const char* fmt3(int v) {
  std::snprintf(strbuf, sizeof strbuf, "%03d", v);
  return strbuf;
}

}  // namespace

bytes build_descriptors(const device_spec& s) {
  bytes d{18, 0x01};
  put16(d, 0x0200);  // bcdUSB
  d.push_back(s.dev_class);
  d.push_back(0);   // subclass
  d.push_back(0);   // protocol
  d.push_back(64);  // bMaxPacketSize0
  put16(d, s.vid);
  put16(d, s.pid);
  put16(d, s.bcd_device);
  d.push_back(s.manufacturer.empty() ? 0 : 1);
  d.push_back(s.product.empty() ? 0 : 2);
  d.push_back(s.serial.empty() ? 0 : 3);
  d.push_back(1);  // bNumConfigurations

  bytes c{9, 0x02, 0, 0, static_cast<std::uint8_t>(s.interfaces.size()), 1, 0, 0x80, 50};
  for (std::size_t i = 0; i < s.interfaces.size(); ++i) {
    const auto& in = s.interfaces[i];
    c.insert(c.end(), {9, 0x04, static_cast<std::uint8_t>(i), 0,
                       static_cast<std::uint8_t>(in.endpoints.size()), in.cls, in.subclass,
                       in.protocol, 0});
    if (!in.hid_report_descriptor.empty()) {
      // HID descriptor: bLength 9, type 0x21, bcdHID 1.11, country 0, 1 class
      // descriptor: type 0x22 (Report), wDescriptorLength
      c.insert(c.end(), {9, 0x21, 0x11, 0x01, 0, 1, 0x22});
      put16(c, static_cast<std::uint16_t>(in.hid_report_descriptor.size()));
    }
    for (const auto& e : in.endpoints) {
      c.insert(c.end(), {7, 0x05, e.address, e.attributes});
      put16(c, e.max_packet);
      c.push_back(e.interval);
    }
  }
  c[2] = static_cast<std::uint8_t>(c.size() & 0xff);
  c[3] = static_cast<std::uint8_t>(c.size() >> 8);
  d.insert(d.end(), c.begin(), c.end());
  return d;
}

// ---------------------------------------------------------------------------

namespace {
gboolean on_handle_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
  return static_cast<fake_usb_device*>(self)->handle_ioctl(client);
}
void on_client_connected(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
  static_cast<fake_usb_device*>(self)->client_connected(client);
}
}  // namespace

fake_usb_device::fake_usb_device(device_spec spec)
    : spec_(std::move(spec)), descriptors_(build_descriptors(spec_)),
      handler_(umockdev_ioctl_base_new()) {
  g_signal_connect(handler_, "handle-ioctl", G_CALLBACK(on_handle_ioctl), this);
  g_signal_connect(handler_, "client-connected", G_CALLBACK(on_client_connected), this);
  for (std::size_t i = 0; i < spec_.interfaces.size(); ++i)
    if (!spec_.interfaces[i].kernel_driver.empty())
      bound_[static_cast<int>(i)] = spec_.interfaces[i].kernel_driver;
}

fake_usb_device::~fake_usb_device() {
  // the testbed keeps its own ref on the handler: cut the closure to `this`
  g_signal_handlers_disconnect_by_data(handler_, this);
  std::lock_guard lk(mu_);
  for (auto& u : pending_in_) unref(u);
  for (auto& u : done_) unref(u);
  if (ready_fd_ >= 0) close(ready_fd_);
  g_object_unref(handler_);
}

std::string fake_usb_device::sysfs_name() const {
  return std::to_string(spec_.busnum) + "-" + spec_.port_path;
}
std::string fake_usb_device::devnode() const {
  std::string s = "/dev/bus/usb/";
  s += fmt3(spec_.busnum);
  s += "/";
  s += fmt3(spec_.devnum);
  return s;
}

void fake_usb_device::unref(urb_ref& u) {
  if (u.buf) umockdev_ioctl_data_unref(u.buf);
  if (u.urb) umockdev_ioctl_data_unref(u.urb);
  u.buf = u.urb = nullptr;
}

void fake_usb_device::queue_in(std::uint8_t ep, bytes data) {
  std::lock_guard lk(mu_);
  in_data_[ep].push_back(std::move(data));
  update_ready();
  // Filling happens at the next REAPURBNDELAY (on the worker thread); the
  // libusb event loop polls that continuously under umockdev (see notes).
}
void fake_usb_device::fail_next(std::uint8_t ep, int status) {
  std::lock_guard lk(mu_);
  // An IN URB already waiting on ep takes the failure now (a stall while the
  // host polls); otherwise the next URB submitted on ep does.
  for (auto it = pending_in_.begin(); it != pending_in_.end(); ++it) {
    if (it->ep != ep) continue;
    auto u = *it;
    pending_in_.erase(it);
    complete_urb(u, status, nullptr, 0);
    update_ready();
    return;
  }
  fail_[ep] = status;
}
bytes fake_usb_device::take_out(std::uint8_t ep) {
  std::lock_guard lk(mu_);
  return std::exchange(out_data_[ep], {});
}
int fake_usb_device::clear_halt_count(std::uint8_t ep) const {
  std::lock_guard lk(mu_);
  auto it = clear_halts_.find(ep);
  return it == clear_halts_.end() ? 0 : it->second;
}
bool fake_usb_device::kernel_driver_bound(int ifno) const {
  std::lock_guard lk(mu_);
  auto it = bound_.find(ifno);
  return it != bound_.end() && it->second != "usbfs";
}
bool fake_usb_device::claimed(int ifno) const {
  std::lock_guard lk(mu_);
  return claimed_.count(ifno) != 0;
}
std::size_t fake_usb_device::urbs_in_flight() const {
  std::lock_guard lk(mu_);
  return pending_in_.size();
}
void fake_usb_device::unplug() {
  std::lock_guard lk(mu_);
  unplugged_ = true;
  ++generation_;  // every fd opened before now is dead
  // usbfs on disconnect: in-flight URBs are given back with -ESHUTDOWN and
  // stay reapable (USBDEVFS_CAP_REAP_AFTER_DISCONNECT).
  while (!pending_in_.empty()) {
    auto u = pending_in_.front();
    pending_in_.pop_front();
    complete_urb(u, -ESHUTDOWN, nullptr, 0);
  }
  claimed_.clear();
  bound_.clear();
  for (std::size_t i = 0; i < spec_.interfaces.size(); ++i)
    if (!spec_.interfaces[i].kernel_driver.empty())
      bound_[static_cast<int>(i)] = spec_.interfaces[i].kernel_driver;
  update_ready();
}
void fake_usb_device::replug() {
  std::lock_guard lk(mu_);
  unplugged_ = false;
}

void fake_usb_device::client_connected(UMockdevIoctlClient* c) {
  std::lock_guard lk(mu_);
  client_gen_[c] = generation_;  // a new open(): pointers of closed clients get reused
}

bool fake_usb_device::alive(UMockdevIoctlClient* c) {
  auto it = client_gen_.find(c);
  if (it == client_gen_.end()) it = client_gen_.emplace(c, generation_).first;
  return !unplugged_ && it->second == generation_;
}

void fake_usb_device::complete_urb(urb_ref u, int status, const std::uint8_t* data, int len) {
  auto* urb = reinterpret_cast<usbdevfs_urb*>(u.urb->data);
  if (data && len > 0 && u.buf) {
    int off = u.type == USBDEVFS_URB_TYPE_CONTROL ? 8 : 0;
    len = std::min(len, u.buf->data_len - off);
    std::memcpy(u.buf->data + off, data, static_cast<std::size_t>(len));
  }
  urb->actual_length = status == 0 ? len : 0;  // control: excludes the 8 setup bytes
  urb->status = status;
  done_.push_back(u);
}

void fake_usb_device::try_fill_in_urbs() {
  for (auto it = pending_in_.begin(); it != pending_in_.end();) {
    auto& q = in_data_[it->ep];
    if (q.empty()) {
      ++it;
      continue;
    }
    bytes b = std::move(q.front());
    q.pop_front();
    auto u = *it;
    it = pending_in_.erase(it);
    complete_urb(u, 0, b.data(), static_cast<int>(b.size()));
  }
}

// Standard + class control requests. Returns false to stall (EPIPE).
bool fake_usb_device::handle_control(urb_ref& u) {
  const std::uint8_t* s = u.buf->data;
  std::uint8_t type = s[0], req = s[1];
  std::uint16_t value = static_cast<std::uint16_t>(s[2] | s[3] << 8);
  std::uint16_t index = static_cast<std::uint16_t>(s[4] | s[5] << 8);
  std::uint16_t length = static_cast<std::uint16_t>(s[6] | s[7] << 8);
  bytes answer;
  if (type == 0x80 && req == 0x06) {  // GET_DESCRIPTOR (device)
    std::uint8_t dtype = static_cast<std::uint8_t>(value >> 8), di = static_cast<std::uint8_t>(value & 0xff);
    if (dtype == 1) answer.assign(descriptors_.begin(), descriptors_.begin() + 18);
    else if (dtype == 2) answer.assign(descriptors_.begin() + 18, descriptors_.end());
    else if (dtype == 3 && di == 0) answer = {4, 3, 0x09, 0x04};
    else if (dtype == 3 && di == 1) answer = string_descriptor(spec_.manufacturer);
    else if (dtype == 3 && di == 2) answer = string_descriptor(spec_.product);
    else if (dtype == 3 && di == 3) answer = string_descriptor(spec_.serial);
    else return false;
  } else if (type == 0x81 && req == 0x06 && (value >> 8) == 0x22) {  // GET_DESCRIPTOR(Report)
    if (index >= spec_.interfaces.size() || spec_.interfaces[index].hid_report_descriptor.empty())
      return false;
    answer = spec_.interfaces[index].hid_report_descriptor;
  } else if (type == 0x21 && (req == 0x0a || req == 0x0b)) {  // HID SET_IDLE / SET_PROTOCOL
  } else if (type == 0xa1 && req == 0x00 && !spec_.device_id_1284.empty()) {  // printer GET_DEVICE_ID
    auto n = spec_.device_id_1284.size() + 2;
    answer = {static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n & 0xff)};
    answer.insert(answer.end(), spec_.device_id_1284.begin(), spec_.device_id_1284.end());
  } else if (type == 0xa1 && req == 0x01) {  // printer GET_PORT_STATUS: selected, no error
    answer = {0x18};
  } else {
    return false;
  }
  if (answer.size() > length) answer.resize(length);
  complete_urb(u, 0, answer.data(), static_cast<int>(answer.size()));
  return true;
}

void fake_usb_device::make_pollable(const std::string& path) {
  std::lock_guard lk(mu_);
  if (ready_fd_ >= 0) close(ready_fd_);
  unlink(path.c_str());
  if (mkfifo(path.c_str(), 0666) != 0) throw std::runtime_error("mkfifo");
  ready_fd_ = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (ready_fd_ < 0) throw std::runtime_error("open fifo");
  // fill every pipe slot with a whole page: no POLLOUT until we read a page
  char page[4096] = {};
  while (write(ready_fd_, page, sizeof page) == static_cast<ssize_t>(sizeof page)) {
  }
  armed_ = false;
  update_ready();
}

void fake_usb_device::update_ready() {
  if (ready_fd_ < 0) return;
  bool want = !done_.empty();
  for (auto& u : pending_in_)
    if (auto it = in_data_.find(u.ep); it != in_data_.end() && !it->second.empty()) want = true;
  char page[4096] = {};
  if (want && !armed_) armed_ = read(ready_fd_, page, sizeof page) == static_cast<ssize_t>(sizeof page);
  else if (!want && armed_) armed_ = write(ready_fd_, page, sizeof page) != static_cast<ssize_t>(sizeof page);
}

gboolean fake_usb_device::handle_ioctl(UMockdevIoctlClient* client) {
  std::lock_guard lk(mu_);
  gboolean r = handle_ioctl_locked(client);
  update_ready();
  return r;
}

gboolean fake_usb_device::handle_ioctl_locked(UMockdevIoctlClient* client) {
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);  // transfer none
  auto done = [&](long res, int err) {
    umockdev_ioctl_client_complete(client, res, err);
    return TRUE;
  };
  const bool ok = alive(client);

  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), nullptr);
      *reinterpret_cast<guint32*>(d->data) = USBDEVFS_CAP_BULK_CONTINUATION |
                                             USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                                             USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
                                             USBDEVFS_CAP_ZERO_PACKET;
      umockdev_ioctl_data_unref(d);
      return ok ? done(0, 0) : done(-1, ENODEV);
    }

    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE: {
      if (!ok) return done(-1, ENODEV);
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), nullptr);
      int ifno = static_cast<int>(*reinterpret_cast<unsigned int*>(d->data));
      umockdev_ioctl_data_unref(d);
      if (ifno < 0 || static_cast<std::size_t>(ifno) >= spec_.interfaces.size())
        return done(-1, ENOENT);
      if (request == USBDEVFS_CLAIMINTERFACE) {
        if (bound_.count(ifno) && bound_[ifno] != "usbfs") return done(-1, EBUSY);
        bound_[ifno] = "usbfs";
        claimed_.insert(ifno);
      } else {
        if (!claimed_.erase(ifno)) return done(-1, EINVAL);
        bound_.erase(ifno);
      }
      return done(0, 0);
    }

    case USBDEVFS_GETDRIVER: {
      if (!ok) return done(-1, ENODEV);
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_getdriver), nullptr);
      auto* gd = reinterpret_cast<usbdevfs_getdriver*>(d->data);
      auto it = bound_.find(static_cast<int>(gd->interface));
      long r = -1;
      int e = ENODATA;
      if (it != bound_.end()) {
        std::snprintf(gd->driver, sizeof gd->driver, "%s", it->second.c_str());
        r = 0;
        e = 0;
      }
      umockdev_ioctl_data_unref(d);
      return done(r, e);
    }

    case USBDEVFS_IOCTL: {  // DISCONNECT / CONNECT of the kernel driver
      if (!ok) return done(-1, ENODEV);
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_ioctl), nullptr);
      auto* c = reinterpret_cast<usbdevfs_ioctl*>(d->data);
      int ifno = c->ifno;
      unsigned code = static_cast<unsigned>(c->ioctl_code);
      umockdev_ioctl_data_unref(d);
      if (ifno < 0 || static_cast<std::size_t>(ifno) >= spec_.interfaces.size())
        return done(-1, EINVAL);
      const std::string& drv = spec_.interfaces[static_cast<std::size_t>(ifno)].kernel_driver;
      if (code == USBDEVFS_DISCONNECT) {
        auto it = bound_.find(ifno);
        if (it == bound_.end() || it->second == "usbfs") return done(-1, ENODATA);
        bound_.erase(it);
        return done(0, 0);
      }
      if (code == USBDEVFS_CONNECT) {
        if (bound_.count(ifno)) return done(-1, EBUSY);
        if (drv.empty()) return done(0, 0);  // no driver matched
        bound_[ifno] = drv;
        return done(1, 0);  // kernel: device_attach() == 1 means bound
      }
      return done(-1, ENOTTY);
    }

    case USBDEVFS_DISCONNECT_CLAIM: {  // libusb_set_auto_detach_kernel_driver + claim
      if (!ok) return done(-1, ENODEV);
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_disconnect_claim), nullptr);
      auto* dc = reinterpret_cast<usbdevfs_disconnect_claim*>(d->data);
      int ifno = static_cast<int>(dc->interface);
      std::string only = dc->driver;
      unsigned flags = dc->flags;
      umockdev_ioctl_data_unref(d);
      if (ifno < 0 || static_cast<std::size_t>(ifno) >= spec_.interfaces.size()) return done(-1, EINVAL);
      auto it = bound_.find(ifno);
      if (it != bound_.end()) {
        bool match = it->second == only;
        if ((flags & USBDEVFS_DISCONNECT_CLAIM_IF_DRIVER) && !match) return done(-1, EBUSY);
        if ((flags & USBDEVFS_DISCONNECT_CLAIM_EXCEPT_DRIVER) && match) return done(-1, EBUSY);
        bound_.erase(it);
      }
      bound_[ifno] = "usbfs";
      claimed_.insert(ifno);
      return done(0, 0);
    }

    case USBDEVFS_CLEAR_HALT: {
      if (!ok) return done(-1, ENODEV);
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), nullptr);
      auto ep = static_cast<std::uint8_t>(*reinterpret_cast<unsigned int*>(d->data));
      umockdev_ioctl_data_unref(d);
      ++clear_halts_[ep];
      return done(0, 0);
    }

    case USBDEVFS_SETINTERFACE:
    case USBDEVFS_SETCONFIGURATION:
    case USBDEVFS_RESET:
    case USBDEVFS_RESETEP:
      return ok ? done(0, 0) : done(-1, ENODEV);

    case USBDEVFS_SUBMITURB: {
      if (!ok) return done(-1, ENODEV);
      urb_ref u{};
      u.urb = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), nullptr);
      auto* urb = reinterpret_cast<usbdevfs_urb*>(u.urb->data);
      u.type = urb->type;
      u.ep = urb->endpoint;
      if (urb->buffer_length > 0)
        u.buf = umockdev_ioctl_data_resolve(u.urb, offsetof(usbdevfs_urb, buffer),
                                            static_cast<gsize>(urb->buffer_length), nullptr);
      // injected failure: the URB is accepted, then reaped with the status
      if (auto f = fail_.find(u.ep); f != fail_.end() && u.type != USBDEVFS_URB_TYPE_CONTROL) {
        int st = f->second;
        fail_.erase(f);
        complete_urb(u, st, nullptr, 0);
        return done(0, 0);
      }
      switch (u.type) {
        case USBDEVFS_URB_TYPE_CONTROL:
          if (!u.buf || u.buf->data_len < 8 || !handle_control(u)) complete_urb(u, -EPIPE, nullptr, 0);
          break;
        case USBDEVFS_URB_TYPE_BULK:
        case USBDEVFS_URB_TYPE_INTERRUPT:
          if (u.ep & 0x80) {
            pending_in_.push_back(u);
            try_fill_in_urbs();
          } else {
            auto& out = out_data_[u.ep];
            if (u.buf) out.insert(out.end(), u.buf->data, u.buf->data + u.buf->data_len);
            complete_urb(u, 0, nullptr, u.buf ? u.buf->data_len : 0);
          }
          break;
        default:  // iso: not emulated
          unref(u);
          return done(-1, EINVAL);
      }
      return done(0, 0);
    }

    case USBDEVFS_REAPURB:  // blocking reap: libusb never uses it
    case USBDEVFS_REAPURBNDELAY: {
      try_fill_in_urbs();
      for (auto it = done_.begin(); it != done_.end(); ++it) {
        // (single fd per device in these tests; a multi-fd model would key by client)
        urb_ref u = *it;
        done_.erase(it);
        // arg points at the caller's `struct usbdevfs_urb *` variable: resolve
        // it and make it point at the completed URB (set_ptr also syncs the
        // URB struct and its buffer back into the client on complete)
        UMockdevIoctlData* p = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), nullptr);
        umockdev_ioctl_data_set_ptr(p, 0, u.urb);
        umockdev_ioctl_data_unref(p);
        unref(u);
        return done(0, 0);
      }
      return ok ? done(-1, EAGAIN) : done(-1, ENODEV);
    }

    case USBDEVFS_DISCARDURB: {
      // the arg is the URB's address in the client, not a pointer to resolve
      unsigned long addr = *reinterpret_cast<unsigned long*>(arg->data);
      for (auto it = pending_in_.begin(); it != pending_in_.end(); ++it) {
        if (it->urb->client_addr != addr) continue;
        urb_ref u = *it;
        pending_in_.erase(it);
        complete_urb(u, -ENOENT, nullptr, 0);  // reaped later as "cancelled"
        return done(0, 0);
      }
      return done(-1, EINVAL);  // already completed
    }

    case FIONBIO:  // generic fd ioctls (asio sets O_NONBLOCK this way): run
    case FIOCLEX:  // them for real on the client's fd
    case FIONCLEX: {
      int e = 0;
      int r = umockdev_ioctl_client_execute(client, &e, nullptr);
      return done(r, e);
    }

    default:
      std::fprintf(stderr, "fake_usb: unhandled ioctl 0x%lx\n", request);
      return done(-1, ENOTTY);
  }
}

// ---------------------------------------------------------------------------

namespace {
constexpr const char* kHostPath = "/devices/pci0000:00/0000:00:14.0";
}  // namespace

usb_testbed::usb_testbed() : tb_(umockdev_testbed_new()) {
  if (!umockdev_in_mock_environment())
    throw std::runtime_error("not under umockdev: run via umockdev-wrapper");
}

usb_testbed::~usb_testbed() { g_object_unref(tb_); }

std::string usb_testbed::syspath(const fake_usb_device& d) const {
  return std::string("/sys") + kHostPath + "/usb" + std::to_string(d.spec().busnum) + "/" + d.sysfs_name();
}

static std::string device_record(const std::string& devpath, int busnum, int devnum,
                                 std::uint16_t vid, std::uint16_t pid, const bytes& desc,
                                 bool with_node = true) {
  char node[64], ids[64];
  std::snprintf(node, sizeof node, "bus/usb/%03d/%03d", busnum, devnum);
  std::snprintf(ids, sizeof ids, "%04x/%04x", vid, pid);
  std::string r;
  r += "P: " + devpath + "\n";
  if (with_node) r += std::string("N: ") + node + "\n";  // creates $UMOCKDEV_DIR/dev/bus/usb/BBB/DDD (a regular file)
  r += "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n";
  r += std::string("E: DEVNAME=/dev/") + node + "\n";
  r += "E: BUSNUM=" + std::string(fmt3(busnum)) + "\n";
  r += "E: DEVNUM=" + std::string(fmt3(devnum)) + "\n";
  r += std::string("E: PRODUCT=") + ids + "\n";
  char v[16];
  std::snprintf(v, sizeof v, "%04x", vid);
  r += std::string("A: idVendor=") + v + "\\n\n";
  std::snprintf(v, sizeof v, "%04x", pid);
  r += std::string("A: idProduct=") + v + "\\n\n";
  r += "A: busnum=" + std::to_string(busnum) + "\\n\n";
  r += "A: devnum=" + std::to_string(devnum) + "\\n\n";
  r += "A: speed=480\\n\n";  // else libusb issues USBDEVFS_GET_SPEED
  r += "A: bConfigurationValue=1\\n\n";  // else libusb asks via USBDEVFS_CONTROL
  r += "H: descriptors=" + hex(desc) + "\n";
  return r;
}

void usb_testbed::add_root_hub(int busnum) {
  interface_spec hub_if{.cls = 9, .subclass = 0, .protocol = 0, .endpoints = {{0x81, 3, 4, 12}},
                        .hid_report_descriptor = {}, .kernel_driver = ""};
  device_spec hub{.vid = 0x1d6b, .pid = 0x0002, .bcd_device = 0x0601, .dev_class = 9, .manufacturer = "",
                  .product = "", .serial = "", .interfaces = {hub_if}, .busnum = busnum, .devnum = 1,
                  .port_path = "", .device_id_1284 = ""};
  std::string path = std::string(kHostPath) + "/usb" + std::to_string(busnum);
  GError* err = nullptr;
  if (!umockdev_testbed_add_from_string(
          tb_, device_record(path, busnum, 1, hub.vid, hub.pid, build_descriptors(hub)).c_str(), &err))
    throw std::runtime_error(err->message);
}

void usb_testbed::add(fake_usb_device& d) {
  // Attach the handler BEFORE the node exists, so an open() racing with the
  // "add" uevent always reaches the handler.
  std::string node = d.devnode();
  if (!attached_.count(node)) {
    GError* err = nullptr;
    if (!umockdev_testbed_attach_ioctl(tb_, node.c_str(), d.ioctl_handler(), &err))
      throw std::runtime_error(err->message);
    attached_.insert(node);
  }
  d.replug();
  if (pollable_nodes) {
    // Our own node (FIFO) must exist before the "add" uevent, so the record
    // below carries no "N:" line (umockdev would create a regular file).
    gchar* root = umockdev_testbed_get_root_dir(tb_);
    std::string node_path = std::string(root) + d.devnode();
    g_free(root);
    g_mkdir_with_parents(node_path.substr(0, node_path.rfind('/')).c_str(), 0755);
    d.make_pollable(node_path);
  }
  std::string path = syspath(d).substr(4);  // chop "/sys"
  GError* err = nullptr;
  if (!umockdev_testbed_add_from_string(
          tb_, device_record(path, d.spec().busnum, d.spec().devnum, d.spec().vid, d.spec().pid,
                             build_descriptors(d.spec()), !pollable_nodes).c_str(), &err))
    throw std::runtime_error(err->message);
  // add_from_string emits the "add" uevent itself when in the mock environment
}

void usb_testbed::remove(fake_usb_device& d) {
  d.unplug();
  std::string sp = syspath(d);
  // uevent first: it reads the properties (DEVNAME...) from sysfs, which
  // remove_device deletes. libusb's udev thread parses bus/dev from DEVNAME.
  umockdev_testbed_uevent(tb_, sp.c_str(), "remove");
  umockdev_testbed_remove_device(tb_, sp.c_str());
}

}  // namespace ravao::test::usb
