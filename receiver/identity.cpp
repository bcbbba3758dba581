#include "receiver/identity.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include <fmt/format.h>

namespace ravao::receiver {

namespace {

// Token comparison in constant time for equal lengths.
bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xF];
  }
  return out;
}

// "AB:cd:01" -> "abcd01"; nullopt when anything but hex digits and colons.
std::optional<std::string> normal_hex(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string without_leading_zeros(std::string s) {
  const auto first = s.find_first_not_of('0');
  return first == std::string::npos ? "0" : s.substr(first);
}

// Calls `line(number, text)` for each line that is neither blank nor a '#'
// comment, `text` trimmed of blanks; stops at the first error it returns.
template <class F>
result<void> each_line(const std::filesystem::path& path, std::string_view option, F&& line) {
  std::ifstream in(path);
  if (!in) return fail_errno(errno, fmt::format("{} {}: cannot read", option, path.string()));
  std::string raw;
  for (int n = 1; std::getline(in, raw); ++n) {
    const auto first = raw.find_first_not_of(" \t\r");
    if (first == std::string::npos || raw[first] == '#') continue;
    const auto last = raw.find_last_not_of(" \t\r");
    const std::string_view text = std::string_view(raw).substr(first, last - first + 1);
    if (std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t'; })) {
      return fail(errc::invalid_argument, fmt::format("{}:{}: control character", path.string(), n));
    }
    if (auto r = line(n, text); !r) return r;
  }
  return {};
}

refusal refuse(unsigned status, std::string message, std::string outcome, std::string gateway = {}) {
  return refusal{status, std::move(message), std::move(outcome), std::move(gateway)};
}

}  // namespace

result<std::vector<bearer_token>> load_tokens(const std::filesystem::path& path) {
  std::vector<bearer_token> tokens;
  auto read = each_line(path, "--tokens", [&](int n, std::string_view text) -> result<void> {
    const auto gap = text.find_first_of(" \t");
    const auto rest = gap == std::string_view::npos ? gap : text.find_first_not_of(" \t", gap);
    if (rest == std::string_view::npos) {
      return fail(errc::invalid_argument,
                  fmt::format("{}:{}: a token must name its gateway: \"GATEWAY TOKEN\" (a token for any gateway "
                              "would let its holder send as every gateway)",
                              path.string(), n));
    }
    bearer_token t{std::string(text.substr(0, gap)), std::string(text.substr(rest))};
    if (t.token.find_first_of(" \t") != std::string::npos) {
      return fail(errc::invalid_argument, fmt::format("{}:{}: expected \"GATEWAY TOKEN\"", path.string(), n));
    }
    for (const auto& other : tokens) {
      if (same_secret(other.token, t.token)) {
        return fail(errc::invalid_argument,
                    fmt::format("{}:{}: this token is already on an earlier line (gateway {}): every token must be "
                                "unique",
                                path.string(), n, other.gateway));
      }
    }
    tokens.push_back(std::move(t));
    return {};
  });
  if (!read) return std::unexpected(read.error());
  if (tokens.empty()) return fail(errc::invalid_argument, fmt::format("--tokens {}: no token in the file", path.string()));
  return tokens;
}

result<deny_list> load_deny_list(const std::filesystem::path& path) {
  deny_list out;
  auto read = each_line(path, "--deny", [&](int n, std::string_view text) -> result<void> {
    const auto colon = text.find(':');
    const std::string_view kind = text.substr(0, colon);
    const std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (kind == "gateway" && !value.empty() && value.find_first_of(" \t") == std::string_view::npos) {
      out.gateways.emplace(value);
      return {};
    }
    const auto digits = normal_hex(value);
    if (kind == "sha256" && digits && digits->size() == 64) {
      out.fingerprints.insert(*digits);
      return {};
    }
    if (kind == "serial" && digits) {
      out.serials.insert(without_leading_zeros(*digits));
      return {};
    }
    return fail(errc::invalid_argument,
                fmt::format("{}:{}: expected \"sha256:FINGERPRINT\" (64 hex digits), \"serial:HEX\" or \"gateway:ID\"",
                            path.string(), n));
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

peer_certificate read_peer_certificate(SSL* ssl) {
  peer_certificate out;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return out;
  out.present = true;
  char cn[256] = {};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  if (n > 0) out.gateway.assign(cn, static_cast<std::size_t>(n));
  if (BIO* b = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long len = BIO_get_mem_data(b, &data);
      if (len > 0) out.subject.assign(data, static_cast<std::size_t>(len));
    }
    BIO_free(b);
  }
  if (auto* usages = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))) {
    if (ASN1_OBJECT* role = OBJ_txt2obj(trace_client_oid, 1)) {
      for (int i = 0; i < sk_ASN1_OBJECT_num(usages); ++i) {
        if (OBJ_cmp(sk_ASN1_OBJECT_value(usages, i), role) == 0) out.trace_role = true;
      }
      ASN1_OBJECT_free(role);
    }
    EXTENDED_KEY_USAGE_free(usages);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) out.fingerprint = hex(md, md_len);
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert)) {
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
      if (char* text = BN_bn2hex(bn)) {
        // A negative serial ("-0A"), which no CA should issue, matches no deny line.
        if (const auto digits = normal_hex(text)) out.serial = without_leading_zeros(*digits);
        OPENSSL_free(text);
      }
      BN_free(bn);
    }
  }
  return out;
}

result<identities> identities::load(identity_files files) {
  if (!files.client_certificates && !files.tokens) {
    return fail(errc::invalid_argument,
                "no way to tell gateways apart: give --client-ca (client certificates whose CN is the gateway id) "
                "and/or --tokens (\"GATEWAY TOKEN\" lines)");
  }
  identities out(std::move(files));
  if (auto r = out.reload(); !r) return std::unexpected(r.error());
  return out;
}

result<void> identities::reload() {
  std::vector<bearer_token> tokens;
  deny_list deny;
  if (files_.tokens) {
    auto t = load_tokens(*files_.tokens);
    if (!t) return std::unexpected(t.error());
    tokens = std::move(*t);
  }
  if (files_.deny) {
    auto d = load_deny_list(*files_.deny);
    if (!d) return std::unexpected(d.error());
    deny = std::move(*d);
  }
  tokens_ = std::move(tokens);
  deny_ = std::move(deny);
  return {};
}

std::expected<sender, refusal> identities::authenticate(std::string_view authorization,
                                                        const peer_certificate& peer) const {
  sender s;
  if (files_.client_certificates) {
    // The TLS layer refuses a handshake without a verified certificate; an
    // unverified one here would be a bug, refused all the same.
    if (!peer.present || peer.gateway.empty()) {
      return std::unexpected(refuse(403, "the client certificate names no gateway (subject CN)", "forbidden"));
    }
    if (peer.trace_role) {
      return std::unexpected(refuse(403,
                                    "a health department's certificate (trace role) may not send gateway data: "
                                    "use it with trace-serve",
                                    "forbidden", peer.gateway));
    }
    if (deny_.fingerprints.contains(peer.fingerprint) || deny_.serials.contains(peer.serial)) {
      return std::unexpected(refuse(403, "this client certificate is revoked", "revoked", peer.gateway));
    }
    s.gateway = peer.gateway;
  }
  if (files_.tokens) {
    const bearer_token* found = nullptr;
    if (authorization.starts_with("Bearer ")) {
      const auto given = authorization.substr(7);
      for (const auto& t : tokens_) {
        if (same_secret(given, t.token)) found = &t;
      }
    }
    if (!found) {
      return std::unexpected(refuse(401, authorization.empty() ? "a bearer token is required" : "unknown bearer token",
                                    "unauthorized"));
    }
    if (!s.gateway.empty() && s.gateway != found->gateway) {
      return std::unexpected(
          refuse(403, "the bearer token and the client certificate belong to different gateways", "forbidden",
                  s.gateway));
    }
    s.gateway = found->gateway;
  }
  if (deny_.gateways.contains(s.gateway)) {
    return std::unexpected(refuse(403, "this gateway is denied (--deny)", "revoked", s.gateway));
  }
  return s;
}

std::optional<refusal> check_sender(const sender& s, std::string_view gateway) {
  if (s.gateway == gateway) return std::nullopt;
  return refuse(403, fmt::format("this sender is gateway {}: it may not send for another gateway", s.gateway),
                "forbidden", std::string(gateway));
}

}  // namespace ravao::receiver
