#include "harness_netns.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "harness.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::test {

TestNetns::TestNetns() : original_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
  if (!original_) throw SysError("open /proc/self/ns/net");
  if (::unshare(CLONE_NEWNET) < 0) throw SysError("unshare(CLONE_NEWNET)");
  ip("link set lo up");
}

TestNetns::~TestNetns() {
  ::setns(original_.get(), CLONE_NEWNET);
}

std::string ip(const std::string& args) {
  std::vector<std::string> argv = {"/usr/sbin/ip"};
  std::istringstream in(args);
  for (std::string w; in >> w;) argv.push_back(w);
  Result r = run(argv);
  INFO("ip " << args << ": " << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

namespace {

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Lines of text without the words that change on their own.
std::vector<std::string> stable_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(text)) {
    std::string kept;
    for (const auto& w : words(line)) {
      if (w == "linkdown" || w == "tentative" || w == "dadfailed") continue;
      kept += (kept.empty() ? "" : " ") + w;
    }
    if (!kept.empty()) out.push_back(kept);
  }
  return out;
}

std::string nft_run(const std::string& cmds, bool require) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  REQUIRE(ctx != nullptr);
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  int rc = nft_run_cmd_from_buffer(ctx, cmds.c_str());
  std::string out = nft_ctx_get_output_buffer(ctx);
  std::string err = nft_ctx_get_error_buffer(ctx);
  nft_ctx_free(ctx);
  if (require) {
    INFO("nft " << cmds << ": " << err);
    REQUIRE(rc == 0);
  }
  return out;
}

}  // namespace

std::string nft(const std::string& cmds) {
  return nft_run(cmds, true);
}

std::string net_snapshot() {
  std::vector<std::string> items;
  for (const auto& line : lines_of(ip("-o link"))) {
    auto w = words(line);
    if (w.size() < 2) continue;
    std::string item = "link " + w[1].substr(0, w[1].find_first_of("@:"));
    for (size_t i = 2; i + 1 < w.size(); ++i)
      if (w[i] == "master" || w[i] == "mtu") item += " " + w[i] + " " + w[i + 1];
    items.push_back(item);
  }
  for (const auto& line : lines_of(ip("-o addr"))) {
    auto w = words(line);
    if (w.size() > 3) items.push_back("addr " + w[1] + " " + w[2] + " " + w[3]);
  }
  for (const char* cmd : {"-4 route show table all", "-6 route show table all", "-4 rule",
                          "-6 rule", "-4 neigh show proxy", "-6 neigh show proxy",
                          "-4 neigh show nud permanent", "-6 neigh show nud permanent"}) {
    for (const auto& l : stable_lines(ip(cmd))) {
      // The kernel adds a link-local address's route once its DAD is over.
      if (l.rfind("local fe80:", 0) == 0) continue;
      items.push_back(std::string(cmd) + ": " + l);
    }
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += i + "\n";
  std::string rules = nft_run("list ruleset", true);
  return out + (rules.empty() ? "(empty nftables ruleset)\n" : rules);
}

namespace {

std::vector<std::string> entries_of(const std::string& dir, const std::string& skip_prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.rfind(skip_prefix, 0) == 0) continue;
    out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> ipam_entries(const std::string& root) {
  return entries_of(root + "/.ipam", "next-");
}

std::vector<std::string> net_records(const std::string& root) {
  return entries_of(root + "/.net", "lock");
}

std::string http_get(const std::string& host, uint16_t port, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    struct sockaddr_storage ss = {};
    socklen_t len = 0;
    int family = host.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      REQUIRE(::inet_pton(AF_INET, host.c_str(), &a->sin_addr) == 1);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      REQUIRE(::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) == 1);
      len = sizeof *a;
    }
    UniqueFd s(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(s);
    struct timeval tv = {1, 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) {
      const std::string req = "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
      if (::send(s.get(), req.data(), req.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(req.size())) {
        std::string resp;
        char buf[4096];
        ssize_t n;
        while ((n = ::recv(s.get(), buf, sizeof buf, 0)) > 0)
          resp.append(buf, static_cast<size_t>(n));
        if (!resp.empty()) return resp;
      }
    }
    if (now_ms() >= deadline) return "";
    sleep_ms(50);
  }
}

}  // namespace vsrv::test
