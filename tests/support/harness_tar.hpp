// A tar archive written byte by byte (ustar + pax headers), so tests can
// make any entry a hostile archive would hold: absolute names, "..",
// symlinks written through, hard links out of the tree, device nodes,
// xattrs. Compression by the gzip/xz/zstd/bzip2 programs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace vsrv::test {

// An entry's metadata: {mode, uid, gid, mtime, xattrs} (pax SCHILY.xattr.<key>).
struct TarMeta {
  TarMeta(mode_t m = 0644, uid_t u = 0, gid_t g = 0, int64_t t = 1700000000,
          std::map<std::string, std::string> x = {})
      : mode(m), uid(u), gid(g), mtime(t), xattrs(std::move(x)) {}
  mode_t mode;
  uid_t uid;
  gid_t gid;
  int64_t mtime;
  std::map<std::string, std::string> xattrs;
};

class TarWriter {
 public:
  using Meta = TarMeta;

  void file(const std::string& name, const std::string& data, const Meta& m = {});
  void dir(const std::string& name, Meta m = {0755});
  void symlink(const std::string& name, const std::string& target, const Meta& m = {0777});
  void hardlink(const std::string& name, const std::string& target);
  void device(const std::string& name, char type, unsigned major, unsigned minor,
              const Meta& m = {0600});  // type '3' char, '4' block, '6' fifo

  // The archive with its end blocks.
  std::string bytes() const;
  // Writes it to path, compressed with "gzip", "xz", "zstd", "bzip2" or "" (plain).
  void write(const std::string& path, const std::string& compressor = "") const;

 private:
  void entry(const std::string& name, char type, const std::string& link, const std::string& data,
             const Meta& m, unsigned major = 0, unsigned minor = 0);
  std::string out_;
};

// What the file at path is by its first bytes: "gzip", "xz", "zstd",
// "bzip2", "" for a plain tar archive, "?" for anything else. Tests check
// the archives they import really are what they claim.
std::string compression_of(const std::string& path);

}  // namespace vsrv::test
