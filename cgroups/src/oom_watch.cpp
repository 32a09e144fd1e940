#include "oom_watch.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "cgfs.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

namespace {

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

class V1OomWatch final : public OomWatch {
 public:
  explicit V1OomWatch(const std::string& dir) : control_(join(dir, "memory.oom_control")) {
    efd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd_) throw SysError("eventfd");
    oom_control_.reset(::open(control_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!oom_control_) throw SysError("watch OOM events: open " + control_);
    // "<event_fd> <fd of memory.oom_control>" arms the notification.
    write_or_throw(join(dir, "cgroup.event_control"),
                   std::to_string(efd_.get()) + " " + std::to_string(oom_control_.get()));
  }
  int fd() const override { return efd_.get(); }
  uint64_t consume() override {
    uint64_t count = 0;
    ssize_t n = ::read(efd_.get(), &count, sizeof count);
    if (n != sizeof count) return 0;  // EAGAIN: nothing yet
    // The kernel also signals the eventfd when the cgroup is removed.
    if (!exists(control_)) {
      gone_ = true;
      return 0;
    }
    return count;
  }
  bool gone() const override { return gone_; }

 private:
  std::string control_;
  UniqueFd efd_;
  UniqueFd oom_control_;
  bool gone_ = false;
};

class V2OomWatch final : public OomWatch {
 public:
  explicit V2OomWatch(const std::string& dir) : events_(join(dir, "memory.events")) {
    if (!exists(events_))
      throw Error("watch OOM events: " + events_ +
                  " is missing (the memory controller is not enabled for " + dir + ")");
    ino_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ino_) throw SysError("inotify_init1");
    if (::inotify_add_watch(ino_.get(), events_.c_str(), IN_MODIFY) < 0)
      throw SysError("inotify_add_watch " + events_);
    last_ = oom_count();
  }
  int fd() const override { return ino_.get(); }
  uint64_t consume() override {
    alignas(struct inotify_event) char buf[4096];
    for (;;) {
      ssize_t n = ::read(ino_.get(), buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        auto* e = reinterpret_cast<struct inotify_event*>(buf + off);
        if (e->mask & IN_IGNORED) gone_ = true;  // the file (the cgroup) went away
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
      }
    }
    if (!exists(events_)) {
      gone_ = true;
      return 0;
    }
    uint64_t now = oom_count();
    uint64_t delta = now > last_ ? now - last_ : 0;
    last_ = now;
    return delta;
  }
  bool gone() const override { return gone_; }

 private:
  uint64_t oom_count() const {
    auto text = read_opt(events_);
    if (!text) return last_;
    auto kv = flat_keyed(*text);
    auto it = kv.find("oom");
    return it == kv.end() ? 0 : it->second;
  }

  std::string events_;
  UniqueFd ino_;
  uint64_t last_ = 0;
  bool gone_ = false;
};

}  // namespace

std::unique_ptr<OomWatch> watch_oom_v1(const std::string& memory_dir) {
  return std::make_unique<V1OomWatch>(memory_dir);
}

std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir) {
  return std::make_unique<V2OomWatch>(dir);
}

}  // namespace vsrv::cgroups::detail
