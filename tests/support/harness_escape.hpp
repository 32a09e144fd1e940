// A fixture for the escape regression tests (tests/integration/security_escape_*):
// a private COPY of the vsrv binary (an attack that succeeds can only damage
// the copy, never the build), private --root/--data dirs, hostile bundles
// made of a static busybox and the escape probe, and cleanup that runs even
// when a test fails (`delete --force` of every server it named, then its dirs).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

namespace vsrv::test {

class EscapeLab {
 public:
  EscapeLab();
  ~EscapeLab();
  EscapeLab(const EscapeLab&) = delete;
  EscapeLab& operator=(const EscapeLab&) = delete;

  // Scratch space: bundles, and host directories an attack aims at.
  const std::string& dir() const { return dir_.path(); }
  // The copy of vsrv every command of this lab runs.
  const std::string& binary() const { return binary_; }

  // A server id unique across processes, deleted with --force at the end.
  std::string new_id(const std::string& tag);
  // copy --root R --data D args..., killed (status 124) after timeout_s.
  Result vsrv(const std::vector<std::string>& args, const std::string& input = "",
              int timeout_s = 30) const;
  // The same through `bash -c`, with shell redirections appended (e.g. "7</dir").
  Result vsrv_redirected(const std::vector<std::string>& args, const std::string& redirections,
                         int timeout_s = 30) const;

  // dir()/name/rootfs: busybox with its applets in /bin, the probe as /bin/probe.
  std::string make_rootfs(const std::string& name);
  // dir()/name with config.yaml = yaml over the default spec, root: rootfs,
  // no template. Makes the rootfs unless it exists. Returns the bundle dir.
  std::string make_bundle(const std::string& name, const std::string& yaml);

 private:
  TempDir dir_{"vsrv-escape"};
  std::string binary_;
  std::vector<std::string> ids_;
};

// The racing half of the symlink-exchange attacks: a server that exchanges
// two names in a host directory (bound at /shared in it) with
// renameat2(RENAME_EXCHANGE), as fast as it can, until stop().
class Swapper {
 public:
  Swapper(EscapeLab& lab, const std::string& shared, const std::string& a, const std::string& b);
  ~Swapper();
  Swapper(const Swapper&) = delete;
  Swapper& operator=(const Swapper&) = delete;
  // Stops the exchanges; returns how many were made (-1: no report).
  long stop();

 private:
  std::string shared_;
  long swaps_ = -1;
  bool stopped_ = false;
};

// The mountinfo lines of this (the host's) mount namespace that mention text
// (a mount point, root or source below one of the lab's dirs).
std::vector<std::string> host_mounts_mentioning(const std::string& text);
// Names in a directory ("." and ".." left out); empty when it does not exist.
std::vector<std::string> dir_names(const std::string& dir);
// The values of the lines "key=value" in out.
std::map<std::string, std::string> key_values(const std::string& out);
// The (dev, inode) of a file, for the probe's watch command.
std::pair<dev_t, ino_t> file_identity(const std::string& path);

}  // namespace vsrv::test
