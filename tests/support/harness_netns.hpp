// Network tests run entirely inside a network namespace of their own: the
// test process enters a new one (so every vsrv it runs, the bridge and every
// veth live there, and nothing leaves this machine) and goes back when the
// fixture ends. The namespace disappears with its last process.
#pragma once

#include <cstdint>
#include <string>

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

// What the namespace holds: link names, addresses, routes of every table,
// rules, and the nftables table inet vsrv, one item a line, in a form that
// stays the same while nothing changes (no counters, timers or flags).
std::string net_snapshot();

// An HTTP/1.0 GET of / from host:port (IPv4 or IPv6 literal), retried until
// timeout_ms; the whole response, or empty when no server answered.
std::string http_get(const std::string& host, uint16_t port, int timeout_ms = 3000);

}  // namespace vsrv::test
