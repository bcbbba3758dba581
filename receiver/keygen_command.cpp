// ravao-receiver keygen: the provincial key pair that seals personal data.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "common/seal.hpp"

namespace ravao::receiver {

namespace {

constexpr option_spec specs[] = {{"out"}};

constexpr const char* help = R"(usage: ravao-receiver keygen --out FILE

Makes a new provincial key pair. The secret key goes to FILE (created with mode
0600; an existing FILE is never overwritten). The public key line goes to
stdout: put it in every gateway's [sync] public_key. Gateways seal personal
data to it; only FILE opens it again (ravao-receiver records --key FILE).
Keep FILE offline or in the province's key store: whoever holds it can read
every visitor's name and ID number.
)";

}  // namespace

int keygen_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const std::string out = opts.required("out");
  const seal::key_pair keys = seal::generate();
  const std::string text = seal::to_text(keys) + "\n";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      std::fprintf(stderr, "ravao-receiver keygen: %s exists; refusing to overwrite a key (choose another --out)\n",
                   out.c_str());
    } else {
      std::fprintf(stderr, "ravao-receiver keygen: cannot create %s: %s\n", out.c_str(), std::strerror(err));
    }
    return 1;
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written) {
    ::unlink(out.c_str());
    std::fprintf(stderr, "ravao-receiver keygen: cannot write %s: %s\n", out.c_str(), std::strerror(err));
    return 1;
  }
  std::printf("%s\n", seal::to_text(keys.pub).c_str());
  return 0;
}

}  // namespace ravao::receiver
