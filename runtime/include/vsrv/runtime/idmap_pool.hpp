// The pool of host ids behind `vsrv: {idmap: auto}`: each such server holds
// a private range of 65536 host ids (uids and gids alike, `0 BASE 65536`)
// for as long as its data exists, so no two servers ever share a host id.
//
// The pool is FIRST:COUNT host ids (as in /etc/subuid): --idmap-pool, else
// root's entry in /etc/subuid (and the same in /etc/subgid), else
// kDefaultIdPool. COUNT / 65536 ranges; range i starts at FIRST + i*65536.
//
// Held ranges live under DATA/idmap/ (the upper layers they own on disk
// outlive --root, a tmpfs): one file per held range named by its first host
// id and holding the server's id, linked into place (never there without
// its content) under the pool's flock (`lock`); `next` is a cursor, so an allocation tries one file
// in the usual case and never scans the servers; `pool` pins the pool ranges were handed out from:
// another pool is refused while any range of the old one is held.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

inline constexpr uint32_t kIdRangeSize = 65536;

struct IdPool {
  uint32_t first = 0;
  uint64_t count = 0;  // host ids; ranges = count / kIdRangeSize

  uint64_t ranges() const { return count / kIdRangeSize; }
  uint32_t base(uint64_t range) const {
    return static_cast<uint32_t>(first + range * kIdRangeSize);
  }
  std::string str() const { return std::to_string(first) + ":" + std::to_string(count); }
  bool operator==(const IdPool&) const = default;
};

// Above the subordinate ids useradd hands out (Debian: 100000..600100000)
// and below 2^31 (ids some programs take for negative): 15258 ranges.
inline constexpr IdPool kDefaultIdPool{1000000000, 1000000000};

// "FIRST:COUNT"; what names the source in errors ("--idmap-pool 5:7").
// FIRST >= 65536 (host users and system ids live below), at least one range,
// the last id below 4294967295.
IdPool parse_id_pool(const std::string& text, const std::string& what);

// root's first entry ("root:FIRST:COUNT" or "0:FIRST:COUNT") of a
// /etc/subuid or /etc/subgid text; unchecked.
std::optional<IdPool> subid_root_entry(const std::string& text);

// The pool in effect: --idmap-pool, else root's /etc/subuid entry (which
// /etc/subgid must repeat), else kDefaultIdPool.
IdPool configured_id_pool(const GlobalOptions& g);

class IdmapPool {
 public:
  // data: the --data dir; the pool's files are under data/idmap.
  IdmapPool(const std::string& data, IdPool pool);

  // A free range for id. record(base) runs under the pool's lock before the
  // range's file is made: the caller writes the base into its state there,
  // so a create killed at any point leaves a record of what it may hold.
  // kState with one line when every range is held.
  uint32_t allocate(const std::string& id, const std::function<void(uint32_t)>& record);
  // Holds the range at base for id again (a server re-created over its kept
  // data); fine when id holds it already; kState when another server does.
  void claim(uint32_t base, const std::string& id);

  const IdPool& pool() const { return pool_; }

 private:
  std::string data_;
  std::string dir_;
  IdPool pool_;
};

// Frees the range at base if id holds it (delete, even `delete --force`
// after a create that died before it made the range's file).
void release_id_range(const std::string& data, uint32_t base, const std::string& id);
// The server holding the range at base, if any.
std::optional<std::string> id_range_holder(const std::string& data, uint32_t base);

}  // namespace vsrv::runtime
