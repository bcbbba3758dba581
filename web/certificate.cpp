#include "web/certificate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "common/log.hpp"

namespace ravao::web {
namespace {

template <class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string openssl_error(std::string_view what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  ERR_clear_error();
  return fmt::format("{}: {}", what, buf);
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool is_ip(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Writes `content` to `path` with `mode` through a temporary file and a rename.
result<void> write_private(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return fail_errno(errno, fmt::format("cannot create {}", tmp.string()));
  std::size_t done = 0;
  while (done < content.size()) {
    const auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return fail_errno(err, fmt::format("cannot write {}", tmp.string()));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail_errno(errno, fmt::format("cannot write {}", tmp.string()));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail_errno(errno, fmt::format("cannot rename {}", tmp.string()));
  return {};
}

}  // namespace

result<self_signed> make_self_signed(const std::string& common_name, const std::vector<std::string>& names) {
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) return fail(errc::invalid_argument, openssl_error("cannot make an EC P-256 key"));
  x509_ptr cert(X509_new());
  if (!cert) return fail(errc::invalid_argument, openssl_error("cannot make a certificate"));
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return fail(errc::invalid_argument, openssl_error("no random serial"));
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_set = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  constexpr long ten_years = 10L * 365 * 24 * 3600 + 3 * 24 * 3600;  // with the leap days
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = common_name.substr(0, 64);
  bool ok = serial_set && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), ten_years) != nullptr &&
            X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>("ravao-web"), -1, -1, 0) == 1 &&
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), subject) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1;
  std::string san;
  for (const auto& n : names) {
    if (n.empty() || n.find_first_of(",\n") != std::string::npos) continue;
    san += fmt::format("{}{}:{}", san.empty() ? "" : ",", is_ip(n) ? "IP" : "DNS", n);
  }
  // No keyUsage: OpenSSL then takes the certificate as self-issued, so a
  // client that trusts this very file (the tests, a pinned browser) verifies it.
  ok = ok && add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
       add_extension(cert.get(), NID_ext_key_usage, "serverAuth") &&
       add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
       (san.empty() || add_extension(cert.get(), NID_subject_alt_name, san)) &&
       X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return fail(errc::invalid_argument, openssl_error("cannot make the self-signed certificate"));
  bio_ptr cert_bio(BIO_new(BIO_s_mem()));
  bio_ptr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(errc::invalid_argument, openssl_error("cannot write the certificate as PEM"));
  }
  return self_signed{bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

result<std::string> certificate_fingerprint(const std::filesystem::path& pem) {
  bio_ptr in(BIO_new_file(pem.c_str(), "r"));
  if (!in) return fail(errc::invalid_argument, openssl_error(fmt::format("cannot read {}", pem.string())));
  x509_ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return fail(errc::invalid_argument, openssl_error(fmt::format("{}: no PEM certificate", pem.string())));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) return fail(errc::invalid_argument, openssl_error("digest"));
  std::string out;
  for (unsigned i = 0; i < n; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  return out;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "ravao";
  return buf;
}

std::vector<std::string> reachable_addresses(const listen_address& listen) {
  if (listen.host != "0.0.0.0" && listen.host != "::") return {listen.host};
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const int family = i->ifa_addr->sa_family;
    // Copied out, not cast: sockaddr's alignment is 2, sockaddr_in's 4, and
    // 32-bit ARM faults on a misaligned load (g++ -Wcast-align on armhf).
    if (family == AF_INET) {
      sockaddr_in a4{};
      std::memcpy(&a4, i->ifa_addr, sizeof a4);
      ::inet_ntop(AF_INET, &a4.sin_addr, text, sizeof text);
    } else if (family == AF_INET6 && listen.host == "::") {
      sockaddr_in6 a6{};
      std::memcpy(&a6, i->ifa_addr, sizeof a6);
      if (IN6_IS_ADDR_LINKLOCAL(&a6.sin6_addr)) continue;
      ::inet_ntop(AF_INET6, &a6.sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    if (std::ranges::find(out, std::string(text)) == out.end()) out.emplace_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

result<certificate_files> ensure_certificate(const web_config& c) {
  if (c.certificate && c.key) return certificate_files{*c.certificate, *c.key, false};
  certificate_files files{c.state_dir / "certificate.pem", c.state_dir / "key.pem", false};
  std::error_code ec;
  if (std::filesystem::exists(files.certificate, ec) && std::filesystem::exists(files.key, ec)) return files;
  const std::string host = host_name();
  std::vector<std::string> names{host, "localhost", "127.0.0.1"};
  for (auto& a : reachable_addresses(c.listen)) names.push_back(std::move(a));
  auto made = make_self_signed(host, names);
  if (!made) return std::unexpected(made.error());
  if (auto w = write_private(files.key, made->key_pem, 0600); !w) return std::unexpected(w.error());
  if (auto w = write_private(files.certificate, made->certificate_pem, 0644); !w) return std::unexpected(w.error());
  files.created = true;
  return files;
}

}  // namespace ravao::web
