// Network tests run entirely inside a network namespace of their own: the
// test process enters a new one (so every vsrv it runs, the bridge and every
// veth live there, and nothing leaves this machine) and goes back when the
// fixture ends. The namespace disappears with its last process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"

namespace vsrv::test {

class TestNetns {
 public:
  TestNetns();   // unshare(CLONE_NEWNET), lo up
  ~TestNetns();  // setns back to the original namespace
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

 private:
  UniqueFd original_;
};

// `ip ARGS...` (the test may run ip; vsrv never does); REQUIREs success.
std::string ip(const std::string& args);

// What the namespace holds: links (name, master, MTU), addresses, routes of
// every table (IPv4 and IPv6), rules, proxy neighbour entries and permanent
// neighbours (IPv4 and IPv6), and the whole nftables ruleset, one item a
// line, in a form that stays the same while nothing changes (no counters,
// timers or flags).
std::string net_snapshot();

// Runs an nftables command in-process (libnftables; no nft binary needed);
// REQUIREs success and returns its output.
std::string nft(const std::string& cmds);

// The addresses IPAM holds under root (<root>/.ipam, without its cursors).
std::vector<std::string> ipam_entries(const std::string& root);
// What vsrv recorded about the host's shared network under root
// (<root>/.net, without its lock file): empty when it owns nothing there.
std::vector<std::string> net_records(const std::string& root);

// An HTTP/1.0 GET of / from host:port (IPv4 or IPv6 literal), retried until
// timeout_ms; the whole response, or empty when no server answered.
std::string http_get(const std::string& host, uint16_t port, int timeout_ms = 3000);

}  // namespace vsrv::test
