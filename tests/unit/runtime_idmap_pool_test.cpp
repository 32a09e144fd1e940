// The id pool of `vsrv.idmap: auto` (idmap_pool.hpp): ranges are handed out
// once, recorded before they are held, freed by their holder only, reused
// once free, refused with one line when none is left, safe against
// concurrent allocations, and pinned to the pool they came from.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/runtime/idmap_pool.hpp"

using vsrv::runtime::id_range_holder;
using vsrv::runtime::IdmapPool;
using vsrv::runtime::IdPool;
using vsrv::runtime::kIdRangeSize;
using vsrv::runtime::parse_id_pool;
using vsrv::runtime::release_id_range;
using vsrv::runtime::subid_root_entry;

namespace {

constexpr uint32_t kFirst = 3000000;

IdPool pool_of(uint64_t ranges) {
  return IdPool{kFirst, ranges * kIdRangeSize};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

uint32_t allocate(const std::string& data, IdPool pool, const std::string& id) {
  return IdmapPool(data, pool).allocate(id, [](uint32_t) {});
}

// The error of f(), "" when it succeeds.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const vsrv::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an id pool is FIRST:COUNT host ids, away from host users", "[idmap]") {
  IdPool p = parse_id_pool("100000:131072", "--idmap-pool");
  CHECK(p.first == 100000);
  CHECK(p.ranges() == 2);
  CHECK(p.base(1) == 165536);
  CHECK(parse_id_pool("65536:200000", "x").ranges() == 3);      // the rest is unused
  CHECK(parse_id_pool("4294901759:65536", "x").ranges() == 1);  // ends at 4294967294
  for (const char* bad :
       {"", "100000", "100000:", ":65536", "1e5:65536", "-1:65536", "100000:65535", "0:65536",
        "65535:65536", "4294901760:65536", "100000:99999999999"}) {
    INFO(bad);
    std::string err = error_of([&] { parse_id_pool(bad, "--idmap-pool X"); });
    CHECK(err.rfind("--idmap-pool X: ", 0) == 0);
  }
}

TEST_CASE("root's entry of /etc/subuid", "[idmap]") {
  CHECK(subid_root_entry("") == std::nullopt);
  CHECK(subid_root_entry("alice:100000:65536\n") == std::nullopt);
  CHECK(subid_root_entry("alice:100000:65536\nroot:200000:131072\nroot:1:2\n") ==
        IdPool{200000, 131072});
  CHECK(subid_root_entry("0:300000:65536") == IdPool{300000, 65536});
  CHECK(subid_root_entry("root:x:65536\n") == std::nullopt);
}

TEST_CASE("ranges are handed out once and recorded before they are held", "[idmap]") {
  vsrv::test::TempDir data("vsrv-idpool");
  IdmapPool pool(data.path(), pool_of(3));
  std::vector<uint32_t> bases;
  for (const char* id : {"a", "b", "c"}) {
    uint32_t recorded = 0;
    uint32_t base = pool.allocate(id, [&](uint32_t b) {
      recorded = b;
      // The caller records the range before its file exists.
      CHECK_FALSE(exists(data.path() + "/idmap/" + std::to_string(b)));
    });
    CHECK(base == recorded);
    CHECK(id_range_holder(data.path(), base) == std::string(id));
    bases.push_back(base);
  }
  CHECK(bases == std::vector<uint32_t>{kFirst, kFirst + kIdRangeSize, kFirst + 2 * kIdRangeSize});

  // Full: one line naming the field and the pool, nothing recorded.
  bool recorded = false;
  std::string err;
  try {
    pool.allocate("d", [&](uint32_t) { recorded = true; });
  } catch (const vsrv::Error& e) {
    err = e.what();
    CHECK(e.kind() == vsrv::ErrorKind::kState);
  }
  CHECK(err.rfind("vsrv.idmap: no free range", 0) == 0);
  CHECK(err.find(pool_of(3).str()) != std::string::npos);
  CHECK(err.find('\n') == std::string::npos);
  CHECK_FALSE(recorded);

  // Only the holder frees a range; a freed range is handed out again.
  release_id_range(data.path(), bases[1], "a");
  CHECK(id_range_holder(data.path(), bases[1]) == std::string("b"));
  release_id_range(data.path(), bases[1], "b");
  CHECK(id_range_holder(data.path(), bases[1]) == std::nullopt);
  release_id_range(data.path(), bases[1], "b");  // twice is fine
  CHECK(pool.allocate("d", [](uint32_t) {}) == bases[1]);
}

TEST_CASE("the cursor moves on: a freed range waits until the others were used", "[idmap]") {
  vsrv::test::TempDir data("vsrv-idpool");
  IdPool p = pool_of(3);
  uint32_t a = allocate(data.path(), p, "a");
  release_id_range(data.path(), a, "a");
  CHECK(allocate(data.path(), p, "b") == p.base(1));
  CHECK(allocate(data.path(), p, "c") == p.base(2));
  CHECK(allocate(data.path(), p, "d") == p.base(0));  // wrapped around
}

TEST_CASE("concurrent allocations never share a range", "[idmap]") {
  vsrv::test::TempDir data("vsrv-idpool");
  const int n = 12;
  IdPool p = pool_of(n);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 1;
      try {
        allocate(data.path(), p, "s" + std::to_string(i));
        rc = 0;
      } catch (...) {
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(status == 0);
  }
  std::set<std::string> holders;
  for (uint64_t r = 0; r < p.ranges(); ++r) {
    auto h = id_range_holder(data.path(), p.base(r));
    REQUIRE(h);
    holders.insert(*h);
  }
  CHECK(holders.size() == static_cast<size_t>(n));  // every server got its own range
  CHECK_THROWS_AS(allocate(data.path(), p, "late"), vsrv::Error);
}

TEST_CASE("the pool cannot change while ranges of it are held", "[idmap]") {
  vsrv::test::TempDir data("vsrv-idpool");
  IdPool old_pool = pool_of(2), shifted{kFirst + 100, 2 * kIdRangeSize};
  uint32_t a = allocate(data.path(), old_pool, "a");
  std::string err = error_of([&] { allocate(data.path(), shifted, "b"); });
  CHECK(err.find("differs from the pool " + old_pool.str()) != std::string::npos);
  release_id_range(data.path(), a, "a");
  CHECK(allocate(data.path(), shifted, "b") == shifted.first);  // nothing held: the new pool wins
}

TEST_CASE("a server re-created over its data holds its range again", "[idmap]") {
  vsrv::test::TempDir data("vsrv-idpool");
  IdPool p = pool_of(2);
  IdmapPool pool(data.path(), p);
  uint32_t a = pool.allocate("a", [](uint32_t) {});
  pool.claim(a, "a");  // held already
  CHECK(error_of([&] { pool.claim(a, "b"); }).find("held by server a") != std::string::npos);
  // Its file lost: made again, if it is a range of the pool.
  REQUIRE(::unlink((data.path() + "/idmap/" + std::to_string(a)).c_str()) == 0);
  pool.claim(a, "a");
  CHECK(id_range_holder(data.path(), a) == std::string("a"));
  CHECK(error_of([&] { pool.claim(kFirst + 5, "c"); }).find("is not one of the pool") !=
        std::string::npos);
  CHECK(error_of([&] { pool.claim(p.base(2), "c"); }).find("is not one of the pool") !=
        std::string::npos);
}
