#include "harness_escape.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <stdexcept>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::test {

namespace {

void copy_file(const std::string& from, const std::string& to) {
  Result r = run({"/bin/cp", from, to});
  if (r.status != 0) throw std::runtime_error("cp " + from + " " + to + ": " + r.err);
}

}  // namespace

EscapeLab::EscapeLab() {
  binary_ = dir() + "/vsrv";
  copy_file(VSRV_BINARY, binary_);
  // Its monitor program sits next to it, as in the build tree.
  const std::string build_dir =
      std::string(VSRV_BINARY).substr(0, std::string(VSRV_BINARY).rfind('/'));
  copy_file(build_dir + "/vsrv-monitor", dir() + "/vsrv-monitor");
  make_dirs(dir() + "/run", 0700);
  make_dirs(dir() + "/data", 0700);
}

EscapeLab::~EscapeLab() {
  // With the build's binary: a successful attack may have ruined the copy.
  for (const auto& id : ids_) {
    try {
      run({"/usr/bin/timeout", "-k", "2", "20", VSRV_BINARY, "--root", dir() + "/run", "--data",
           dir() + "/data", "delete", "--force", id});
    } catch (...) {
    }
  }
}

std::string EscapeLab::new_id(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::string id = "se" + std::to_string(::getpid()) + "-" + tag + std::to_string(++counter);
  ids_.push_back(id);
  return id;
}

Result EscapeLab::vsrv(const std::vector<std::string>& args, const std::string& input,
                       int timeout_s) const {
  std::vector<std::string> cmd = {"/usr/bin/timeout",
                                  "-k",
                                  "2",
                                  std::to_string(timeout_s),
                                  binary_,
                                  "--root",
                                  dir() + "/run",
                                  "--data",
                                  dir() + "/data"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  return run(cmd, input);
}

Result EscapeLab::vsrv_redirected(const std::vector<std::string>& args,
                                  const std::string& redirections, int timeout_s) const {
  std::string line = "exec /usr/bin/timeout -k 2 " + std::to_string(timeout_s) + " " +
                     shell_quote(binary_) + " --root " + shell_quote(dir() + "/run") + " --data " +
                     shell_quote(dir() + "/data");
  for (const auto& a : args) line += " " + shell_quote(a);
  return run({"/bin/bash", "-c", line + " " + redirections});
}

std::string EscapeLab::make_rootfs(const std::string& name) {
  std::string rootfs = dir() + "/" + name + "/rootfs";
  for (const char* d : {"/bin", "/dev", "/proc", "/sys", "/tmp", "/etc", "/root"})
    make_dirs(rootfs + d, 0755);
  copy_file("/bin/busybox", rootfs + "/bin/busybox");
  copy_file(VSRV_ESCAPE_PROBE, rootfs + "/bin/probe");
  Result list = run({"/bin/busybox", "--list"});
  if (list.status != 0) throw std::runtime_error("busybox --list: " + list.err);
  for (const auto& applet : lines_of(list.out)) {
    if (applet.empty() || applet == "busybox") continue;
    std::string link = rootfs + "/bin/" + applet;
    if (::symlink("busybox", link.c_str()) < 0 && errno != EEXIST)
      throw std::runtime_error("symlink " + link);
  }
  write_file_atomic(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
  write_file_atomic(rootfs + "/etc/group", "root:x:0:\n", 0644);
  return rootfs;
}

std::string EscapeLab::make_bundle(const std::string& name, const std::string& yaml) {
  std::string bundle = dir() + "/" + name;
  struct stat st;
  if (::lstat((bundle + "/rootfs").c_str(), &st) < 0) make_rootfs(name);
  write_file_atomic(bundle + "/config.yaml",
                    "vsrv: {template: \"\"}\nroot: {path: rootfs}\n" + yaml, 0644);
  return bundle;
}

Swapper::Swapper(EscapeLab& lab, const std::string& shared, const std::string& a,
                 const std::string& b)
    : shared_(shared) {
  std::string id = lab.new_id("swapper");
  std::string bundle =
      lab.make_bundle(id, "process: {args: [probe, swap, /shared/" + a + ", /shared/" + b +
                              ", /shared/.stop, /shared/.report], terminal: false}\n"
                              "mounts:\n"
                              "  - {destination: /proc, type: proc, source: proc}\n"
                              "  - {destination: /dev, type: tmpfs, source: tmpfs}\n"
                              "  - {destination: /shared, type: bind, source: " +
                              shared + ", options: [bind]}\n");
  Result r = lab.vsrv({"run", "-d", "-b", bundle, id});
  if (r.status != 0) throw std::runtime_error("swapper server: " + r.err);
}

Swapper::~Swapper() {
  try {
    stop();
  } catch (...) {
  }
}

long Swapper::stop() {
  if (stopped_) return swaps_;
  stopped_ = true;
  write_file_atomic(shared_ + "/.stop", "", 0644);
  std::string report = shared_ + "/.report";
  for (int i = 0; i < 500 && ::access(report.c_str(), F_OK) != 0; ++i) sleep_ms(20);
  auto kv = key_values(try_read_file(report).value_or(""));
  swaps_ = kv.count("swaps") ? std::stol(kv["swaps"]) : -1;
  return swaps_;
}

std::vector<std::string> host_mounts_mentioning(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(read_file("/proc/self/mountinfo")))
    if (line.find(text) != std::string::npos) out.push_back(line);
  return out;
}

std::vector<std::string> dir_names(const std::string& dir) {
  return vsrv::list_dir(dir);
}

std::map<std::string, std::string> key_values(const std::string& out) {
  std::map<std::string, std::string> kv;
  for (const auto& line : lines_of(out)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::pair<dev_t, ino_t> file_identity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) throw std::runtime_error("stat " + path);
  return {st.st_dev, st.st_ino};
}

}  // namespace vsrv::test
