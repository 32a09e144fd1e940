// blockIO and hugepageLimits for real through the vsrv binary, on a loop
// device this test makes (and removes): throttles land in
// blkio.throttle.* (v1) or io.max (v2) and hold a direct read to about the
// limit; update -r changes them. Weights and huge page limits are written
// where the kernel has them, and everything a host cannot apply (a weight
// without a proportional I/O scheduler, a missing hierarchy, an unknown page
// size or device, v1-only fields on v2) is one line naming the field. Runs on
// the hybrid host and, in tests/vm, on a pure cgroup v2 kernel.
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <iostream>

#include "harness_resources.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

using namespace vsrv::test;

namespace {

// A loop device of its own over a sparse file: added with LOOP_CTL_ADD at a
// free index (so that it is ours to remove), bound with LOOP_CONFIGURE;
// unbound and removed again by the destructor.
class LoopDevice {
 public:
  LoopDevice(const std::string& dir, off_t size) {
    try {
      attach(dir, size);
    } catch (...) {  // a failed REQUIRE: remove what was made all the same
      release();
      throw;
    }
  }
  ~LoopDevice() { release(); }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  std::string number() const { return std::to_string(major) + ":" + std::to_string(minor); }

  std::string path;
  unsigned major = 0, minor = 0;

 private:
  void attach(const std::string& dir, off_t size) {
    const std::string image = dir + "/loop.img";
    vsrv::UniqueFd backing(::open(image.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(backing);
    REQUIRE(::ftruncate(backing.get(), size) == 0);
    ctl_.reset(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    REQUIRE(ctl_);
    for (int index = 200 + ::getpid() % 200; index < 1000; ++index) {
      if (::ioctl(ctl_.get(), LOOP_CTL_ADD, index) < 0) continue;  // EEXIST: someone's
      index_ = index;
      path = "/dev/loop" + std::to_string(index);
      for (int i = 0; i < 200 && !fd_; ++i) {  // devtmpfs makes the node
        fd_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd_) ::usleep(5000);
      }
      REQUIRE(fd_);
      struct loop_config cfg;
      std::memset(&cfg, 0, sizeof cfg);
      cfg.fd = static_cast<__u32>(backing.get());
      cfg.block_size = 4096;
      if (::ioctl(fd_.get(), LOOP_CONFIGURE, &cfg) == 0) break;
      // Taken by a LOOP_CTL_GET_FREE meanwhile: it is in use, leave it.
      REQUIRE(errno == EBUSY);
      fd_.reset();
      index_ = -1;
    }
    REQUIRE(index_ >= 0);
    struct stat st;
    REQUIRE(::fstat(fd_.get(), &st) == 0);
    major = ::major(st.st_rdev);
    minor = ::minor(st.st_rdev);
  }

  void release() {
    if (index_ < 0) return;
    if (fd_) ::ioctl(fd_.get(), LOOP_CLR_FD);
    fd_.reset();
    for (int i = 0; i < 200; ++i) {
      if (::ioctl(ctl_.get(), LOOP_CTL_REMOVE, index_) == 0 || errno != EBUSY) break;
      ::usleep(10000);
    }
    index_ = -1;
  }

  vsrv::UniqueFd ctl_, fd_;
  int index_ = -1;
};

// The io.max line of a device ("MAJ:MIN rbps=... wbps=... riops=... wiops=..."),
// empty when it has none.
std::string io_max_line(const std::string& file, const std::string& dev) {
  for (const auto& l : lines_of(vsrv::read_file(file)))
    if (l.rfind(dev + " ", 0) == 0) return l;
  return "";
}

// Runs a server with spec extra; on failure returns the error line.
Result run(VsrvHarness& h, const std::string& id, const std::string& extra) {
  return h.vsrv({"run", "-d", "--template", kTemplate, "-f",
                 h.write_spec(sh_spec("exec sleep 1000", extra)), id});
}

// A refused create: exit 1, one line naming what, nothing left behind.
void check_refused(VsrvHarness& h, const std::string& extra, const std::string& what) {
  std::string id = h.new_id("iobad");
  Result r = run(h, id, extra);
  INFO(extra);
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find(what) != std::string::npos);
  CHECK(h.traces(id).empty());
}

// Seconds a direct read of `mib` MiB from the server's /dev/tl takes.
double timed_read(VsrvHarness& h, const std::string& id, int mib) {
  long long start = now_ms();
  Result r = h.vsrv({"exec", id, "--", "dd", "if=/dev/tl", "of=/dev/null", "bs=256k",
                     "count=" + std::to_string(mib * 4), "iflag=direct"},
                    "", 60);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return static_cast<double>(now_ms() - start) / 1000.0;
}

}  // namespace

TEST_CASE("blockIO throttles are written, hold a direct read to the limit, and update") {
  TempDir scratch("vsrv-loop");  // the loop device outlives the servers
  LoopDevice loop(scratch.path(), 64 << 20);
  VsrvHarness h;
  std::string id = h.new_id("io");
  const std::string m = std::to_string(loop.major), n = std::to_string(loop.minor);
  const std::string dev = "{major: " + m + ", minor: " + n;
  Result r = run(h, id,
                 "linux:\n  devices: [{path: /dev/tl, type: b, major: " + m + ", minor: " + n +
                     "}]\n  resources:\n    blockIO:\n"
                     "      throttleReadBpsDevice: [" +
                     dev +
                     ", rate: 1Mi}]\n"
                     "      throttleWriteIOPSDevice: [" +
                     dev + ", rate: 50}]\n");
  INFO(r.err);
  REQUIRE(r.status == 0);
  if (pure_cgroup_v2()) {
    CHECK(io_max_line(cgroup_file(h, id, "", "", "io.max"), loop.number()) ==
          loop.number() + " rbps=1048576 wbps=max riops=max wiops=50");
  } else {
    CHECK(read_trimmed(cgroup_file(h, id, "blkio", "blkio.throttle.read_bps_device", "")) ==
          loop.number() + " 1048576");
    CHECK(read_trimmed(cgroup_file(h, id, "blkio", "blkio.throttle.write_iops_device", "")) ==
          loop.number() + " 50");
  }
  // 3 MiB at 1 MiB/s: about 3 s (the first slice may pass at once).
  double limited = timed_read(h, id, 3);
  std::cout << "measured: 3 MiB read with O_DIRECT under 1 MiB/s took " << limited << " s\n";
  CHECK(limited >= 1.8);
  CHECK(limited <= 15);

  // Live: rate 0 lifts the limit (v1 drops the line, v2 writes max).
  Result u = h.vsrv({"update", id, "-r", "-"}, "blockIO: {throttleReadBpsDevice: [" + dev +
                                                   ", rate: 0}], " + "throttleReadIOPSDevice: [" +
                                                   dev + ", rate: 1000}]}\n");
  INFO(u.err);
  REQUIRE(u.status == 0);
  if (pure_cgroup_v2()) {
    CHECK(io_max_line(cgroup_file(h, id, "", "", "io.max"), loop.number()) ==
          loop.number() + " rbps=max wbps=max riops=1000 wiops=50");
  } else {
    CHECK(read_trimmed(cgroup_file(h, id, "blkio", "blkio.throttle.read_bps_device", "")) == "");
    CHECK(read_trimmed(cgroup_file(h, id, "blkio", "blkio.throttle.read_iops_device", "")) ==
          loop.number() + " 1000");
  }
  double free = timed_read(h, id, 3);
  std::cout << "measured: the same read without the bps limit took " << free << " s\n";
  CHECK(free < limited);
}

TEST_CASE("blockIO weights are written where the kernel has them, else named") {
  TempDir scratch("vsrv-loop");
  LoopDevice loop(scratch.path(), 16 << 20);
  VsrvHarness h;
  std::string id = h.new_id("iow");
  Result r = run(h, id, "linux: {resources: {blockIO: {weight: 100}}}\n");
  if (r.status == 0) {
    std::string weight =
        pure_cgroup_v2()
            ? read_trimmed(cgroup_file(h, id, "", "", "io.weight"))
            : read_trimmed(cgroup_file(h, id, "blkio", "blkio.bfq.weight", ""));  // no CFQ
    std::cout << "measured: blockIO.weight 100 written: " << weight << "\n";
    // io.weight: 1 + (100 - 10) * 9999 / 990 = 910; BFQ takes 100 as it is.
    CHECK((weight == "default 910" || weight == "default 100" || weight == "100"));
  } else {
    std::cout << "measured: blockIO.weight refused: " << r.err;
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("linux.resources.blockIO.weight: neither") != std::string::npos);
    CHECK(h.traces(id).empty());
  }
  // A per-device weight the kernel refuses (no BFQ or iocost on the loop
  // device) is an error naming it as well; where it is taken, it is written.
  std::string idd = h.new_id("iowd");
  r = run(h, idd,
          "linux: {resources: {blockIO: {weightDevice: [{major: " + std::to_string(loop.major) +
              ", minor: " + std::to_string(loop.minor) + ", weight: 200}]}}}\n");
  if (r.status != 0) {
    std::cout << "measured: blockIO.weightDevice refused: " << r.err;
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("linux.resources.blockIO.weightDevice[0].weight: ") != std::string::npos);
    CHECK(h.traces(idd).empty());
  }
}

TEST_CASE("hugepageLimits are written where the hugetlb controller is, else named") {
  VsrvHarness h;
  std::string id = h.new_id("huge");
  Result r = run(h, id, "linux: {resources: {hugepageLimits: [{pageSize: 2MB, limit: 64Mi}]}}\n");
  if (pure_cgroup_v2()) {
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(read_trimmed(cgroup_file(h, id, "", "", "hugetlb.2MB.max")) == "67108864");
    std::string rsvd = cgroup_file(h, id, "", "", "hugetlb.2MB.rsvd.max");
    if (vsrv::try_read_file(rsvd)) CHECK(read_trimmed(rsvd) == "67108864");
    // update -r: unlimited again.
    REQUIRE(h.vsrv({"update", id, "-r", "-"}, "hugepageLimits: [{pageSize: 2MB, limit: -1}]\n")
                .status == 0);
    CHECK(read_trimmed(cgroup_file(h, id, "", "", "hugetlb.2MB.max")) == "max");
  } else if (r.status == 0) {
    CHECK(read_trimmed(cgroup_file(h, id, "hugetlb", "hugetlb.2MB.limit_in_bytes", "")) ==
          "67108864");
  } else {
    std::cout << "measured: hugepageLimits refused: " << r.err;
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("linux.resources.hugepageLimits[0].limit: no cgroup v1 hugetlb hierarchy") !=
          std::string::npos);
    CHECK(h.traces(id).empty());
  }
  check_refused(h, "linux: {resources: {hugepageLimits: [{pageSize: 3MB, limit: 1Mi}]}}\n",
                "linux.resources.hugepageLimits[0].pageSize: this host has no 3MB huge pages "
                "(it has ");
}

TEST_CASE("what a host cannot apply is one line naming the field") {
  VsrvHarness h;
  check_refused(h,
                "linux: {resources: {blockIO: {throttleReadBpsDevice: [{major: 7, minor: "
                "1048000, rate: 1Mi}]}}}\n",
                "linux.resources.blockIO.throttleReadBpsDevice[0]: no block device 7:1048000 on "
                "this host");
  check_refused(h, "linux: {resources: {blockIO: {leafWeight: 100}}}\n",
                pure_cgroup_v2()
                    ? "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights"
                    : "linux.resources.blockIO.leafWeight: blkio.leaf_weight is missing in ");
  check_refused(h, "linux: {resources: {network: {classID: 1048577}}}\n",
                pure_cgroup_v2()
                    ? "linux.resources.network: cgroup v2 has no net_cls or net_prio controller"
                    : "linux.resources.network.classID: ");
  check_refused(h, "linux: {resources: {rdma: {vsrv_none: {hcaHandles: 2}}}}\n",
                "linux.resources.rdma.vsrv_none: ");
  // Nothing was changed by a refused update either.
  std::string id = h.new_id("ioupd");
  REQUIRE(run(h, id, "linux: {resources: {pids: {limit: 50}}}\n").status == 0);
  Result u = h.vsrv({"update", id, "-r", "-"},
                    "pids: {limit: 60}\nhugepageLimits: [{pageSize: 3MB, limit: 1Mi}]\n");
  CHECK(u.status == 1);
  CHECK(one_error_line(u.err));
  CHECK(read_trimmed(cgroup_file(h, id, "pids", "pids.max", "pids.max")) == "50");
}
