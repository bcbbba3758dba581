// The accounts file of ravao-web (web/auth/account_store.hpp): passwords,
// disabled accounts, the file's mode and shape, and its atomic replacement.

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/harness.hpp"
#include "web/auth/account_file.hpp"
#include "web/auth/account_store.hpp"

namespace fs = std::filesystem;
using ravao::test::read_file;
using ravao::test::temp_dir;
using ravao::test::write_file;
using namespace ravao::web;

namespace {

account_store open_store(const fs::path& p) {
  auto s = account_store::open(p);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  return std::move(*s);
}

std::string open_error(const fs::path& p) {
  auto s = account_store::open(p);
  BOOST_TEST_REQUIRE(!s.has_value());
  return s.error().message();
}

// A valid file with one staff account, from a real store.
std::string one_user_file(const temp_dir& dir) {
  auto s = open_store(dir / "seed.json");
  BOOST_TEST_REQUIRE(s.add("alice", role::staff, {"quay-1"}, "mật khẩu 1").has_value());
  return read_file(dir / "seed.json");
}

mode_t mode_of(const fs::path& p) {
  struct stat st{};
  BOOST_TEST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::size_t files_in(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_added_user_logs_in_with_its_password_and_with_no_other) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  const auto added = store.add("alice", role::staff, {"quay-1", "quay-2"}, "mật khẩu 1");
  BOOST_TEST_REQUIRE(added.has_value());
  BOOST_TEST(added->hash.starts_with("$argon2id$"));
  BOOST_TEST(mode_of(dir / "users.json") == 0600u);

  const auto ok = store.verify("alice", "mật khẩu 1");
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->name == "alice");
  BOOST_TEST((ok->role == role::staff));
  BOOST_TEST(ok->counters == (std::vector<std::string>{"quay-1", "quay-2"}), boost::test_tools::per_element());
  BOOST_TEST(ok->hash.empty());

  const auto wrong = store.verify("alice", "mật khẩu 2");
  const auto unknown = store.verify("mallory", "mật khẩu 1");
  BOOST_TEST_REQUIRE(!wrong.has_value());
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((wrong.error().code == std::errc::permission_denied));
  // One answer for both: a wrong name cannot be told from a wrong password.
  BOOST_TEST(wrong.error().message() == unknown.error().message());

  // Another process reads the same account back.
  const auto again = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(again.list().size() == 1u);
  BOOST_TEST(again.verify("alice", "mật khẩu 1").has_value());
}

BOOST_AUTO_TEST_CASE(a_changed_password_replaces_the_old_one) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(store.add("bao", role::supervisor, {}, "123456").has_value());
  BOOST_TEST_REQUIRE(store.set_password("bao", "654321").has_value());
  BOOST_TEST(!store.verify("bao", "123456").has_value());
  BOOST_TEST(store.verify("bao", "654321").has_value());
  BOOST_TEST((store.set_password("nobody", "654321").error().code == ravao::errc::not_found));
}

BOOST_AUTO_TEST_CASE(a_disabled_account_is_refused_even_with_its_password) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(store.add("alice", role::staff, {"quay-1"}, "mật khẩu 1").has_value());
  BOOST_TEST_REQUIRE(store.set_disabled("alice", true).has_value());
  const auto right = store.verify("alice", "mật khẩu 1");
  BOOST_TEST_REQUIRE(!right.has_value());
  BOOST_TEST((right.error().code == std::errc::operation_not_permitted));
  // A wrong password says nothing about the account being disabled.
  BOOST_TEST((store.verify("alice", "wrong!!").error().code == std::errc::permission_denied));
  BOOST_TEST(open_store(dir / "users.json").find("alice")->disabled);

  BOOST_TEST_REQUIRE(store.set_disabled("alice", false).has_value());
  BOOST_TEST(store.verify("alice", "mật khẩu 1").has_value());
}

BOOST_AUTO_TEST_CASE(names_roles_counters_and_passwords_are_checked_before_anything_is_written) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  for (const char* bad : {"", "Alice", "a b", "an/other", "abcdefghijklmnopqrstuvwxyz0123456", "ngọc"})
    BOOST_TEST(!store.add(bad, role::staff, {"quay-1"}, "123456").has_value(), bad);
  BOOST_TEST(!store.add("alice", role::staff, {}, "123456").has_value());
  BOOST_TEST(!store.add("alice", role::staff, {"Quay 1"}, "123456").has_value());
  BOOST_TEST(!store.add("alice", role::staff, {"quay-1", "quay-1"}, "123456").has_value());
  BOOST_TEST(!store.add("alice", role::supervisor, {"quay-1"}, "123456").has_value());
  BOOST_TEST(!store.add("alice", role::staff, {"quay-1"}, "12345").has_value());
  BOOST_TEST(!store.add("alice", role::staff, {"quay-1"}, "12345\n").has_value());
  BOOST_TEST(!fs::exists(dir / "users.json"));

  BOOST_TEST(store.add("a.b_c-9", role::staff, {"quay-1"}, "ẩẩẩẩẩẩ").has_value());  // 6 characters, 18 bytes
  const auto twice = store.add("a.b_c-9", role::staff, {"quay-1"}, "123456");
  BOOST_TEST_REQUIRE(!twice.has_value());
  BOOST_TEST(twice.error().message().find("exists") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_file_that_group_or_others_may_read_is_refused) {
  temp_dir dir;
  const std::string text = one_user_file(dir);
  for (const mode_t mode : {0640, 0604, 0620, 0660, 0644}) {
    write_file(dir / "users.json", text);
    ::chmod((dir / "users.json").c_str(), mode);
    const std::string e = open_error(dir / "users.json");
    BOOST_TEST(e.find("chmod 600") != std::string::npos, e);
    BOOST_TEST(e.find((dir / "users.json").string()) != std::string::npos, e);
  }
  ::chmod((dir / "users.json").c_str(), 0600);
  BOOST_TEST(open_store(dir / "users.json").list().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_symbolic_link_is_not_followed) {
  temp_dir dir;
  write_file(dir / "real.json", one_user_file(dir));
  ::chmod((dir / "real.json").c_str(), 0600);
  fs::create_symlink(dir / "real.json", dir / "users.json");
  BOOST_TEST(open_error(dir / "users.json").find("symbolic link") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_corrupted_file_is_refused_with_where_and_what) {
  temp_dir dir;
  const std::string good = one_user_file(dir);
  const auto user = [](std::string_view fields) {
    return "{\"version\":1,\"users\":[{" + std::string(fields) + "}]}";
  };
  const std::string hash = "\"hash\":\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\"";
  const std::string rest = ",\"disabled\":false," + hash + ",\"created\":\"x\",\"changed\":\"x\"";
  const std::pair<std::string, std::string> cases[] = {
      {good.substr(0, good.size() / 2), "not JSON"},
      {"", "not JSON"},
      {"[]", "expected an object"},
      {"{\"version\":2,\"users\":[]}", "version"},
      {"{\"version\":1,\"users\":{}}", "users: expected an array"},
      {"{\"version\":1,\"users\":[],\"admin\":true}", "unknown key"},
      {user("\"name\":\"alice\",\"role\":\"root\",\"counters\":[]" + rest), "users[0]: role"},
      {user("\"name\":\"alice\",\"role\":\"staff\",\"counters\":[]" + rest), "users[0]: a staff account needs"},
      {user("\"name\":\"Alice\",\"role\":\"supervisor\",\"counters\":[]" + rest), "users[0]: name"},
      {user("\"name\":\"alice\",\"role\":\"supervisor\",\"counters\":[]" + rest + ",\"extra\":1"), "unknown key"},
      {user("\"name\":\"alice\",\"role\":\"supervisor\",\"counters\":[1]" + rest), "counters"},
      {user("\"name\":\"alice\",\"role\":\"supervisor\",\"counters\":[],\"disabled\":0,\"hash\":\"x\",\"created\":\"x\","
            "\"changed\":\"x\""),
       "disabled"},
      {user("\"name\":\"alice\",\"role\":\"supervisor\",\"counters\":[],\"disabled\":false,\"hash\":\"$2y$10$x\","
            "\"created\":\"x\",\"changed\":\"x\""),
       "Argon2id"},
      {"{\"version\":1,\"users\":[" + good.substr(good.find('{', 1), good.rfind('}', good.rfind(']')) - good.find('{', 1) + 1) +
           "," + good.substr(good.find('{', 1), good.rfind('}', good.rfind(']')) - good.find('{', 1) + 1) + "]}",
       "appears twice"},
  };
  for (const auto& [text, expected] : cases) {
    write_file(dir / "users.json", text);
    ::chmod((dir / "users.json").c_str(), 0600);
    const std::string e = open_error(dir / "users.json");
    BOOST_TEST(e.find(expected) != std::string::npos, text << " -> " << e);
    BOOST_TEST(e.find((dir / "users.json").string()) != std::string::npos, e);
  }
}

BOOST_AUTO_TEST_CASE(the_file_written_reads_back_to_the_same_accounts) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(store.add("alice", role::staff, {"quay-1", "quay-2"}, "123456").has_value());
  BOOST_TEST_REQUIRE(store.add("bao", role::supervisor, {}, "654321").has_value());
  BOOST_TEST_REQUIRE(store.set_disabled("bao", true).has_value());
  const auto parsed = parse_account_file(read_file(dir / "users.json"), "users.json");
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST_REQUIRE(parsed->size() == 2u);
  BOOST_TEST(format_account_file(*parsed) == read_file(dir / "users.json"));
  BOOST_TEST((*parsed)[1].disabled);
  BOOST_TEST((*parsed)[0].created.size() == 20u);  // 2026-12-04T10:00:00Z
}

BOOST_AUTO_TEST_CASE(a_change_replaces_the_file_whole_and_a_failed_write_changes_nothing) {
  temp_dir dir;
  auto store = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(store.add("alice", role::staff, {"quay-1"}, "123456").has_value());
  const std::string before = read_file(dir / "users.json");

  // A reader that opened the old file keeps reading the old file whole: the
  // new one is a new inode renamed over it.
  std::ifstream old_reader(dir / "users.json");
  BOOST_TEST_REQUIRE(store.add("bao", role::supervisor, {}, "654321").has_value());
  std::string old_text((std::istreambuf_iterator<char>(old_reader)), std::istreambuf_iterator<char>());
  BOOST_TEST(old_text == before);
  BOOST_TEST(files_in(dir.path()) == 1u);  // no temporary file left

  // The disk fills up in the middle of the write (RLIMIT_FSIZE: EFBIG).
  const std::string two_users = read_file(dir / "users.json");
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  auto* const old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 100;
  ::setrlimit(RLIMIT_FSIZE, &small);
  const auto failed = store.set_disabled("alice", true);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST_REQUIRE(!failed.has_value());
  BOOST_TEST(failed.error().message().find("cannot write") != std::string::npos, failed.error().message());
  BOOST_TEST(read_file(dir / "users.json") == two_users);
  BOOST_TEST(files_in(dir.path()) == 1u);
  BOOST_TEST(!store.find("alice")->disabled);  // memory unchanged too
  BOOST_TEST(store.set_disabled("alice", true).has_value());
}

BOOST_AUTO_TEST_CASE(refresh_names_the_accounts_whose_sessions_must_end) {
  temp_dir dir;
  auto web = open_store(dir / "users.json");
  auto admin = open_store(dir / "users.json");
  BOOST_TEST_REQUIRE(admin.add("alice", role::staff, {"quay-1"}, "123456").has_value());
  BOOST_TEST_REQUIRE(admin.add("bao", role::staff, {"quay-1"}, "123456").has_value());
  BOOST_TEST_REQUIRE(admin.add("chi", role::staff, {"quay-1"}, "123456").has_value());
  auto first = web.refresh();
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(first->empty());  // new accounts end nobody's session
  BOOST_TEST(web.list().size() == 3u);

  BOOST_TEST_REQUIRE(admin.set_disabled("alice", true).has_value());
  BOOST_TEST_REQUIRE(admin.set_password("bao", "abcdef").has_value());
  const auto ended = web.refresh();
  BOOST_TEST_REQUIRE(ended.has_value());
  BOOST_TEST(*ended == (std::vector<std::string>{"alice", "bao"}), boost::test_tools::per_element());
  BOOST_TEST(web.refresh()->empty());

  // A broken file keeps the accounts in memory and says so on every refresh.
  write_file(dir / "users.json", "{broken");
  ::chmod((dir / "users.json").c_str(), 0600);
  BOOST_TEST(!web.refresh().has_value());
  BOOST_TEST(!web.refresh().has_value());
  BOOST_TEST(web.verify("chi", "123456").has_value());
}

BOOST_AUTO_TEST_CASE(run_as_root_the_file_stays_owned_by_the_state_folders_owner) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: skipped");
    return;
  }
  temp_dir dir;
  const fs::path state = dir / "state";
  fs::create_directory(state);
  BOOST_TEST_REQUIRE(::chown(state.c_str(), 4321, 4322) == 0);
  auto store = open_store(state / "users.json");
  BOOST_TEST_REQUIRE(store.add("alice", role::staff, {"quay-1"}, "123456").has_value());
  struct stat st{};
  BOOST_TEST_REQUIRE(::stat((state / "users.json").c_str(), &st) == 0);
  BOOST_TEST(st.st_uid == 4321u);
  BOOST_TEST(st.st_gid == 4322u);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}
