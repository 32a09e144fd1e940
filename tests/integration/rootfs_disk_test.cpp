// A server's disk: a sparse ext4 image formatted in-process (e2fsck finds
// it clean), mounted detached on a loop device that goes away with the last
// reference, full at its size with ENOSPC.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "harness.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/disk.hpp"

using vsrv::test::TempDir;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// /sys/dev/block/M:m/loop/backing_file of the device a mount lives on.
std::string backing_file_path(int mount_fd) {
  struct stat st;
  REQUIRE(::fstat(mount_fd, &st) == 0);
  return "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
         std::to_string(minor(st.st_dev)) + "/loop/backing_file";
}

bool gone_within(const std::string& path, int ms) {
  for (int waited = 0; waited < ms; waited += 10) {
    if (!exists(path)) return true;
    ::usleep(10000);
  }
  return !exists(path);
}

}  // namespace

TEST_CASE("a disk image is sparse, clean ext4, and refuses to overwrite", "[rootfs][disk]") {
  TempDir tmp;
  const std::string image = tmp.path() + "/disk.img";
  vsrv::rootfs::create_disk_image(image, 64 * kMiB);
  struct stat st;
  REQUIRE(::stat(image.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_size) == 64 * kMiB);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < 2 * kMiB);  // metadata only
  vsrv::test::Result fsck = vsrv::test::run({"/usr/sbin/e2fsck", "-fn", image});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.status == 0);
  vsrv::test::Result dump = vsrv::test::run({"/usr/sbin/dumpe2fs", "-h", image});
  CHECK(dump.out.find("Reserved block count:     0") != std::string::npos);
  CHECK(dump.out.find("metadata_csum") != std::string::npos);

  CHECK_THROWS_AS(vsrv::rootfs::create_disk_image(image, 32 * kMiB), vsrv::Error);
  REQUIRE(::stat(image.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_size) == 64 * kMiB);  // untouched
}

TEST_CASE("a disk too small to format fails and leaves no file", "[rootfs][disk]") {
  TempDir tmp;
  CHECK_THROWS_AS(vsrv::rootfs::create_disk_image(tmp.path() + "/tiny.img", 4096), vsrv::Error);
  CHECK_FALSE(exists(tmp.path() + "/tiny.img"));
}

TEST_CASE("a mounted disk fills up with ENOSPC and its loop device goes with it",
          "[rootfs][disk]") {
  TempDir tmp;
  const std::string image = tmp.path() + "/disk.img";
  vsrv::rootfs::create_disk_image(image, 32 * kMiB);
  const std::string mountinfo_before = vsrv::read_file("/proc/self/mountinfo");
  std::string backing;
  {
    vsrv::UniqueFd disk = vsrv::rootfs::mount_disk_image(image);
    REQUIRE(disk);
    backing = backing_file_path(disk.get());
    CHECK(vsrv::trim(vsrv::read_file(backing)) == image);
    // Detached: the host's mount table does not know it.
    CHECK(vsrv::read_file("/proc/self/mountinfo") == mountinfo_before);

    vsrv::UniqueFd f(::openat(disk.get(), "fill", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    REQUIRE(f);
    std::vector<char> chunk(kMiB, 'x');
    uint64_t written = 0;
    int err = 0;
    for (int i = 0; i < 64 && err == 0; ++i) {
      ssize_t n = ::write(f.get(), chunk.data(), chunk.size());
      if (n < 0) err = errno;
      if (n > 0) written += static_cast<uint64_t>(n);
      if (n >= 0 && n < static_cast<ssize_t>(chunk.size())) err = ENOSPC;  // short write at the end
    }
    if (err == 0 && ::fsync(f.get()) < 0) err = errno;
    CHECK(err == ENOSPC);
    CHECK(written > 24 * kMiB);  // what the journal and metadata leave
    CHECK(written <= 32 * kMiB);
    struct stat st;
    REQUIRE(::stat(image.c_str(), &st) == 0);
    CHECK(static_cast<uint64_t>(st.st_blocks) * 512 <= 32 * kMiB);  // the host pays no more
  }
  CHECK(gone_within(backing, 2000));
  vsrv::test::Result fsck = vsrv::test::run({"/usr/sbin/e2fsck", "-fn", image});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.status == 0);
}
