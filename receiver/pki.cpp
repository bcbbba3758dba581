#include "receiver/pki.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <memory>

#include <fmt/format.h>

#include "common/tls_server.hpp"
#include "receiver/identity.hpp"

namespace ravao::receiver {
namespace fs = std::filesystem;

namespace {

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
  void operator()(X509* c) const { X509_free(c); }
};
struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

struct issued {
  pkey_ptr key;
  x509_ptr cert;
};

enum class role { ca, server, client, trace_client };

// Days of validity from an hour ago; `expired`: it ended yesterday (tests of refusal).
struct validity {
  int days = 30;
  bool expired = false;
};

result<void> add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return fail(errc::invalid_argument, fmt::format("certificate extension \"{}\": {}", value, openssl_errors()));
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return fail(errc::invalid_argument, "cannot add a certificate extension: " + openssl_errors());
  return {};
}

// A key and a certificate for `cn`, signed by `issuer` (self-signed when null).
result<issued> issue(std::string_view cn, role r, const issued* issuer, validity valid, const std::string& san) {
  issued out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!out.key) return fail(errc::invalid_argument, "cannot generate an EC key: " + openssl_errors());
  out.cert.reset(X509_new());
  X509* c = out.cert.get();
  X509_set_version(c, X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  if (valid.expired) {
    X509_time_adj_ex(X509_getm_notBefore(c), -2, 0, nullptr);
    X509_time_adj_ex(X509_getm_notAfter(c), -1, 0, nullptr);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);  // an hour of slack for clocks slightly behind
    X509_time_adj_ex(X509_getm_notAfter(c), valid.days, 0, nullptr);
  }
  X509_set_pubkey(c, out.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("ravao test PKI"), -1,
                             -1, 0);
  const std::string cn_text(cn);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn_text.c_str()), -1,
                             -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer_cert));
  const auto ext = [&](int nid, const std::string& v) { return add_extension(c, issuer_cert, nid, v); };
  result<void> ok = ext(NID_subject_key_identifier, "hash");
  if (ok && issuer) ok = ext(NID_authority_key_identifier, "keyid:always");
  switch (r) {
    case role::ca:
      if (ok) ok = ext(NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      if (ok) ok = ext(NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case role::server:
    case role::client:
    case role::trace_client:
      if (ok) ok = ext(NID_basic_constraints, "critical,CA:FALSE");
      if (ok) ok = ext(NID_key_usage, "critical,digitalSignature");
      if (ok) {
        ok = ext(NID_ext_key_usage, r == role::server ? std::string("serverAuth")
                                    : r == role::client ? std::string("clientAuth")
                                                        : fmt::format("clientAuth,{}", trace_client_oid));
      }
      if (ok && !san.empty()) ok = ext(NID_subject_alt_name, san);
      break;
  }
  if (!ok) return std::unexpected(ok.error());
  EVP_PKEY* signer = issuer ? issuer->key.get() : out.key.get();
  if (X509_sign(c, signer, EVP_sha256()) == 0) return fail(errc::invalid_argument, "cannot sign: " + openssl_errors());
  return out;
}

// Creates `path` with `mode` (refusing an existing file unless `overwrite`)
// and lets `write` fill it through a BIO.
template <class Write>
result<void> write_pem(const fs::path& path, mode_t mode, bool overwrite, Write write) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(std::make_error_code(std::errc::file_exists),
                  fmt::format("{} exists; refusing to overwrite it (give --force to replace the PKI)", path.string()));
    }
    return fail_errno(errno, "cannot create " + path.string());
  }
  ::fchmod(fd, mode);  // also when an existing file is overwritten
  std::unique_ptr<BIO, bio_free> bio(BIO_new_fd(fd, BIO_CLOSE));
  if (!bio || write(bio.get()) != 1 || BIO_flush(bio.get()) != 1) {
    return fail(errc::invalid_argument, fmt::format("cannot write {}: {}", path.string(), openssl_errors()));
  }
  return {};
}

// "Nguyễn Thị B" -> "trace-Nguy_n_Th__B": a file name from a certificate's name.
std::string file_base(std::string_view prefix, std::string_view name) {
  std::string out(prefix);
  for (const char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

// Writes `i` as DIR/BASE.pem (0644) and DIR/BASE.key (0600), appending both to `written`.
result<void> save(const issued& i, const fs::path& dir, std::string_view base, bool overwrite,
                  std::vector<fs::path>& written) {
  const fs::path cert_path = dir / fmt::format("{}.pem", base);
  const fs::path key_path = dir / fmt::format("{}.key", base);
  auto ok = write_pem(cert_path, 0644, overwrite, [&](BIO* b) { return PEM_write_bio_X509(b, i.cert.get()); });
  if (!ok) return ok;
  written.push_back(cert_path);
  ok = write_pem(key_path, 0600, overwrite, [&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, i.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (ok) written.push_back(key_path);
  return ok;
}

// Issues and saves the health department's certificates named in `names`.
result<void> issue_trace_clients(const issued& ca, const std::vector<std::string>& names, validity valid,
                                 const fs::path& dir, bool overwrite, std::vector<fs::path>& written) {
  for (const auto& name : names) {
    auto staff = issue(name, role::trace_client, &ca, valid, {});
    if (!staff) return std::unexpected(staff.error());
    if (auto ok = save(*staff, dir, file_base("trace-", name), overwrite, written); !ok) return ok;
  }
  return {};
}

}  // namespace

result<std::vector<fs::path>> make_pki(const pki_request& r) {
  std::error_code ec;
  fs::create_directories(r.out_dir, ec);
  if (ec) return fail(ec, "cannot create " + r.out_dir.string());
  std::string server_san;
  for (const auto& h : r.hosts) server_san += (server_san.empty() ? "DNS:" : ",DNS:") + h;
  for (const auto& ip : r.ips) server_san += (server_san.empty() ? "IP:" : ",IP:") + ip;

  const validity valid{r.days, false};
  auto ca = issue("ravao test CA", role::ca, nullptr, valid, {});
  if (!ca) return std::unexpected(ca.error());
  auto server = issue(r.hosts.empty() ? "server" : r.hosts.front(), role::server, &*ca, valid, server_san);
  if (!server) return std::unexpected(server.error());
  auto client = issue(r.client_name, role::client, &*ca, valid, "DNS:" + r.client_name);
  if (!client) return std::unexpected(client.error());
  auto other = issue("ravao unrelated test CA", role::ca, nullptr, valid, {});
  if (!other) return std::unexpected(other.error());

  std::vector<fs::path> written;
  for (const auto& [i, base] : {std::pair<const issued*, std::string_view>{&*ca, "ca"}, {&*server, "server"},
                                {&*client, "client"}, {&*other, "other-ca"}}) {
    if (auto ok = save(*i, r.out_dir, base, r.overwrite, written); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = issue_trace_clients(*ca, r.trace_clients, valid, r.out_dir, r.overwrite, written); !ok)
    return std::unexpected(ok.error());
  if (r.fleet > 0) {
    fs::create_directories(r.out_dir / "fleet", ec);
    if (ec) return fail(ec, "cannot create " + (r.out_dir / "fleet").string());
  }
  for (int n = 0; n < r.fleet; ++n) {
    const std::string name = fmt::format("{}-{}", r.client_name, n);
    auto member = issue(name, role::client, &*ca, valid, "DNS:" + name);
    if (!member) return std::unexpected(member.error());
    if (auto ok = save(*member, r.out_dir, "fleet/" + name, r.overwrite, written); !ok) return std::unexpected(ok.error());
  }
  return written;
}

result<std::vector<fs::path>> issue_from_ca(const issue_request& r) {
  issued ca;
  const fs::path cert_path = r.dir / "ca.pem", key_path = r.dir / "ca.key";
  {
    std::unique_ptr<BIO, bio_free> in(BIO_new_file(cert_path.c_str(), "r"));
    if (in) ca.cert.reset(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!ca.cert) return fail(errc::invalid_argument, fmt::format("{}: cannot read the CA certificate", cert_path.string()));
  }
  {
    std::unique_ptr<BIO, bio_free> in(BIO_new_file(key_path.c_str(), "r"));
    if (in) ca.key.reset(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    if (!ca.key) return fail(errc::invalid_argument, fmt::format("{}: cannot read the CA key", key_path.string()));
  }
  const validity valid{r.days, r.expired};
  std::vector<fs::path> written;
  if (r.gateway_client) {
    auto client = issue(*r.gateway_client, role::client, &ca, valid, "DNS:" + *r.gateway_client);
    if (!client) return std::unexpected(client.error());
    if (auto ok = save(*client, r.dir, file_base("client-", *r.gateway_client), r.overwrite, written); !ok)
      return std::unexpected(ok.error());
  }
  if (auto ok = issue_trace_clients(ca, r.trace_clients, valid, r.dir, r.overwrite, written); !ok)
    return std::unexpected(ok.error());
  return written;
}

}  // namespace ravao::receiver
