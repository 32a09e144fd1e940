// Parsing of cgroup statistics files and the caller's leaf cgroup.
#include <catch2/catch.hpp>

#include "vsrv/cgroups/parse.hpp"

using namespace vsrv::cgroups;

TEST_CASE("flat_keyed reads KEY VALUE files and skips what is not a number") {
  auto kv = flat_keyed(
      "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 10\n"
      "nr_throttled 3\nthrottled_usec 99\nweird line here\nfrozen x\n\n");
  CHECK(kv.size() == 6);
  CHECK(kv["usage_usec"] == 1234);
  CHECK(kv["throttled_usec"] == 99);
  CHECK(kv.count("weird") == 0);
  CHECK(kv.count("frozen") == 0);
  auto oom = flat_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n");
  CHECK(oom["oom_kill"] == 7);
  CHECK(flat_keyed("").empty());
  CHECK(flat_keyed("max 18446744073709551615\n")["max"] == UINT64_MAX);
  CHECK(flat_keyed("max 18446744073709551616\n").empty());  // overflow
}

TEST_CASE("parse_limit maps every spelling of unlimited to empty") {
  CHECK_FALSE(parse_limit("max"));
  CHECK_FALSE(parse_limit("max\n"));
  CHECK_FALSE(parse_limit("-1"));
  CHECK_FALSE(parse_limit("9223372036854771712"));  // v1 memory.limit_in_bytes default
  CHECK(parse_limit("33554432") == uint64_t{33554432});
  CHECK(parse_limit("0") == uint64_t{0});
  CHECK_FALSE(parse_limit("lots"));
  CHECK_FALSE(parse_limit(""));
}

TEST_CASE("parse_io_stat sums every device") {
  auto t = parse_io_stat(
      "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
      "253:0 rbytes=100 wbytes=0 rios=3 wios=0 dbytes=0 dios=0\n");
  CHECK(t.read_bytes == 4196);
  CHECK(t.write_bytes == 8192);
  CHECK(t.read_ios == 4);
  CHECK(t.write_ios == 2);
  auto empty = parse_io_stat("");
  CHECK(empty.read_bytes == 0);
}

TEST_CASE("parse_blkio sums Read and Write lines, not Total") {
  auto t = parse_blkio(
      "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n8:0 Discard 0\n"
      "8:0 Total 4608\n8:16 Read 10\n8:16 Write 0\nTotal 4618\n");
  CHECK(t.read_bytes == 4106);
  CHECK(t.write_bytes == 512);
  CHECK(parse_blkio("Total 0\n").read_bytes == 0);
}

TEST_CASE("caller_base steps out of the caller's leaf") {
  CHECK(caller_base("/init/vsrv.leaf") == "/init");
  CHECK(caller_base("/vsrv.leaf") == "/");
  CHECK(caller_base("/user.slice/session-1.scope") == "/user.slice/session-1.scope");
  CHECK(caller_base("/") == "/");
  CHECK(caller_base("/a/xvsrv.leaf") == "/a/xvsrv.leaf");
  CHECK(caller_base("/a/vsrv.leaf/b") == "/a/vsrv.leaf/b");
}
