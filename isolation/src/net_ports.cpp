// Port forwarding with nftables (libnftables, in-process): one table
// `inet vsrv` holding a map per family from (protocol, host port) to
// (server address, port), consulted by DNAT rules in prerouting (traffic
// from elsewhere) and output (the host's own processes). A forward is one
// map element: adding or removing it is atomic and touches nothing else.
// The table is created with the first forward and deleted after the last.
#include <nftables/libnftables.h>
#include <sys/socket.h>

#include <memory>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/network.hpp"

namespace vsrv::isolation {

namespace {

// The table's comment marks it as vsrv's own, made in the same atomic batch
// as the table: only a table carrying it is ever deleted.
constexpr const char* kOwnerComment = "created by vsrv: deleted when it forwards no port";
constexpr const char* kTableSetup = R"(create table inet vsrv { comment "%s"; }
add map inet vsrv fwd4 { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map inet vsrv fwd6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
add chain inet vsrv prerouting { type nat hook prerouting priority -100; policy accept; }
add chain inet vsrv output { type nat hook output priority -100; policy accept; }
add rule inet vsrv prerouting meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @fwd4
add rule inet vsrv prerouting meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @fwd6
add rule inet vsrv output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to meta l4proto . th dport map @fwd4
add rule inet vsrv output ip6 daddr != ::1 fib daddr type local dnat ip6 to meta l4proto . th dport map @fwd6
)";

class Nft {
 public:
  Nft() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (!ctx_) throw Error("nftables: cannot create a context");
    nft_ctx_buffer_output(ctx_.get());
    nft_ctx_buffer_error(ctx_.get());
  }
  // Runs one batch (atomic); false with the error text on failure. A dump
  // the kernel interrupted because the ruleset changed meanwhile (another
  // server's forward came or went) fails with EINTR and nothing done:
  // it is run again.
  bool run(const std::string& cmds, std::string* out = nullptr, std::string* err = nullptr) {
    for (int attempt = 1;; ++attempt) {
      int rc = nft_run_cmd_from_buffer(ctx_.get(), cmds.c_str());
      if (out) *out = nft_ctx_get_output_buffer(ctx_.get());
      std::string e = first_line(nft_ctx_get_error_buffer(ctx_.get()));
      if (err) *err = e;
      if (rc == 0) return true;
      if (attempt == 50 || e.find("Interrupted system call") == std::string::npos) return false;
    }
  }

 private:
  static std::string first_line(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    if (line.rfind("Error: ", 0) == 0) line = line.substr(7);
    return line;
  }
  struct Free {
    void operator()(nft_ctx* c) const { nft_ctx_free(c); }
  };
  std::unique_ptr<nft_ctx, Free> ctx_;
};

std::string map_of(const PortForward& f) {
  return f.address.family == AF_INET6 ? "fwd6" : "fwd4";
}
std::string key_of(const PortForward& f) {
  return f.proto + " . " + std::to_string(f.host_port);
}
std::string name_of(const PortForward& f) {
  return std::to_string(f.host_port) + "/" + f.proto;
}

void check(const PortForward& f) {
  if (f.proto != "tcp" && f.proto != "udp")
    throw Error(ErrorKind::kUsage, "port forward " + name_of(f) + ": protocol must be tcp or udp");
  if (f.address.family != AF_INET && f.address.family != AF_INET6)
    throw Error(ErrorKind::kUsage, "port forward " + name_of(f) + ": no server address");
}

// Whether the element for f's key exists and points at f's address and port.
bool points_at(Nft& nft, const PortForward& f) {
  std::string out, err;
  if (!nft.run("get element inet vsrv " + map_of(f) + " { " + key_of(f) + " }", &out, &err)) {
    // No such element, map or table; anything else is not an answer.
    if (err.find("No such file or directory") != std::string::npos) return false;
    throw Error("nftables: look up the forward of " + name_of(f) + ": " + err);
  }
  std::string want = key_of(f) + " : " + f.address.address() + " . " + std::to_string(f.port);
  return out.find(want) != std::string::npos;
}

}  // namespace

void add_port_forwards(const std::vector<PortForward>& forwards) {
  if (forwards.empty()) return;
  for (const auto& f : forwards) check(f);
  Nft nft;
  std::string err;
  std::string setup = kTableSetup;
  setup.replace(setup.find("%s"), 2, kOwnerComment);
  if (!nft.run(setup, nullptr, &err) && err.find("File exists") == std::string::npos)
    throw Error("nftables: create table inet vsrv: " + err);
  std::string batch;
  for (const auto& f : forwards) {
    batch += "create element inet vsrv " + map_of(f) + " { " + key_of(f) + " : " +
             f.address.address() + " . " + std::to_string(f.port) + " }\n";
  }
  if (nft.run(batch, nullptr, &err)) return;
  if (err.find("File exists") != std::string::npos) {
    std::string taken;
    for (const auto& f : forwards) {
      bool listed = taken == name_of(f) || taken.find(name_of(f) + ",") != std::string::npos ||
                    taken.find(", " + name_of(f)) != std::string::npos;
      if (!listed && nft.run("get element inet vsrv " + map_of(f) + " { " + key_of(f) + " }"))
        taken += (taken.empty() ? "" : ", ") + name_of(f);
    }
    throw Error(ErrorKind::kState, "host port " + taken + " is forwarded already");
  }
  throw Error("nftables: forward ports: " + err);
}

void remove_port_forwards(const std::vector<PortForward>& forwards) {
  if (forwards.empty()) return;
  Nft nft;
  std::string batch;
  for (const auto& f : forwards) {
    if (points_at(nft, f))
      batch += "delete element inet vsrv " + map_of(f) + " { " + key_of(f) + " }\n";
  }
  std::string err;
  if (!batch.empty() && !nft.run(batch, nullptr, &err))
    throw Error("nftables: remove port forwards: " + err);
}

bool remove_forward_table_if_unused() {
  Nft nft;
  std::string out, err;
  if (!nft.run("list table inet vsrv", &out, &err)) {
    if (err.find("No such file or directory") != std::string::npos) return false;
    throw Error("nftables: list table inet vsrv: " + err);
  }
  // The listing shows `comment "..."` and, for a non-empty map, `elements = {`.
  if (out.find(std::string("comment \"") + kOwnerComment + "\"") == std::string::npos) return false;
  if (out.find("elements = ") != std::string::npos) return false;
  if (!nft.run("delete table inet vsrv", nullptr, &err) &&
      err.find("No such file or directory") == std::string::npos)
    throw Error("nftables: delete table inet vsrv: " + err);
  return true;
}

}  // namespace vsrv::isolation
