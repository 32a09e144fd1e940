// bench/density: many idle servers at once, vsrv against runc (Debian's) side
// by side. For each N: start N servers detached (busybox, pid/mount/uts/ipc/net
// namespaces, memory and pids limits, running sleep), then report the total
// start time, per-server start latency (median and p99 of the first and last
// decile), host memory per idle server (MemAvailable delta / N), the PSS of the
// runtime's own processes (vsrv's monitors) and of the servers' processes,
// `list` latency at N, and teardown (`delete --force`) per server.
// vsrv servers each get an overlay over one shared template (YAML spec over the
// default); runc containers share one read-only rootfs (config from `runc spec`).
// Not a test: nothing here asserts a figure.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <climits>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "support/bundle.hpp"
#include "support/files.hpp"
#include "support/host.hpp"
#include "support/stats.hpp"
#include "support/workspace.hpp"

namespace vsrv::bench {
namespace {

struct Options {
  std::vector<int> counts{100, 300};
  int runc_max = 300;
  std::string vsrv = VSRV_BINARY;
  std::string runc = "runc";
  std::string state_parent = "/dev/shm";
  int settle_ms = 2000;
  bool same_config = false;  // vsrv runs runc's config.json (no seccomp) over the template
  bool runc_first = false;   // at each N, runc's phase before vsrv's
};

struct Phase {
  int n = 0;
  int running = 0;
  int64_t total_ns = 0;
  std::vector<int64_t> start_ns;
  double mem_kib = 0;          // MemAvailable delta / N
  double pinned_kib = 0;       // unreclaimable memory delta / N (anon + kernel, no caches)
  double objects_kib = 0;      // the same with slab as objects in use, per server
  double settled_s = 0;        // waited for the kernel's deferred frees before it
  double cgroup_kib = 0;       // charged to the servers' memory cgroups, per server
  double runtime_pss_kib = 0;  // runtime-owned processes (monitors), per server
  int runtime_procs = 0;
  double server_pss_kib = 0;  // the servers' own processes, per server
  std::vector<int64_t> list_ns;
  std::vector<int64_t> teardown_ns;
  int64_t teardown_total_ns = 0;
};

long long pss_kib(int pid) {
  auto s = try_read_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
  return s ? field_kib(*s, "Pss") : 0;
}

int parent_of(int pid) {
  auto s = try_read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!s) return 0;
  auto f = split_ws(s->substr(s->rfind(')') + 1));  // f[0] state, f[1] ppid
  return f.size() > 1 ? std::stoi(f[1]) : 0;
}

std::string exe_of(int pid) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? buf : p;
}

// Resolves a binary given by name through PATH (for comparing /proc/PID/exe).
std::string resolve_binary(const std::string& b) {
  if (b.find('/') != std::string::npos) return real_path(b);
  std::istringstream path(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  for (std::string d; std::getline(path, d, ':');)
    if (::access((d + "/" + b).c_str(), X_OK) == 0) return real_path(d + "/" + b);
  return b;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::vector<int64_t> slice(const std::vector<int64_t>& v, size_t from, size_t to) {
  return {v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to)};
}

class Density {
 public:
  Density(const Options& o, const Workspace& ws)
      : o_(o),
        ws_(ws),
        vsrv_(Runtime::Kind::kVsrv, o.vsrv, ws.state_dir() + "/vsrv", ws.dir() + "/vsrv-data"),
        runc_(Runtime::Kind::kRunc, o.runc, ws.state_dir() + "/runc") {}

  void prepare() {
    std::cout << "vsrv: " << first_line(must_run(vsrv_.version_argv(), true).out) << "\n";
    std::cout << "runc: " << first_line(must_run(runc_.version_argv(), true).out) << "\n";
    std::string tmpl = make_busybox_template(vsrv_, ws_.dir() + "/vsrv-data", "bench");
    rootfs_ = ws_.dir() + "/runc-rootfs";
    copy_tree(tmpl, rootfs_);
    base_ = runc_default_spec(runc_, ws_.dir() + "/runc-spec");
    std::cout << "state (--root of both): " << ws_.state_dir() << " on " << ws_.state_fs()
              << "; each server: sleep, pid/mount/uts/ipc/net namespaces, memory 32Mi, pids 16\n"
              << "vsrv: overlay over one busybox template, "
              << (o_.same_config ? "runc's config.json (no seccomp)"
                                 : "YAML over the default spec (default seccomp filter)")
              << "; runc: config from `runc spec` (no seccomp), one shared read-only rootfs\n";
  }

  Phase run(const Runtime& rt, int n) {
    std::cout << "\n"
              << rt.name() << ", N=" << n << " (load " << load_average() << "): preparing specs"
              << std::flush;
    std::string cg = ws_.cgroup_parent() + "/density-" + rt.name() + "-" + std::to_string(n);
    std::string specs = ws_.dir() + "/specs-" + rt.name() + "-" + std::to_string(n);
    make_dir(specs);
    std::vector<std::vector<std::string>> start_argv;
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      std::string id = "d" + std::to_string(i);
      ids.push_back(id);
      if (rt.kind() == Runtime::Kind::kVsrv && o_.same_config) {
        std::string f = specs + "/" + id + ".json";
        write_file(f, runc_spec(id, cg + "/" + id).dump(2));
        start_argv.push_back(rt.argv({"run", "-d", "-f", f, "--template", "bench", id}));
      } else if (rt.kind() == Runtime::Kind::kVsrv) {
        std::string f = specs + "/" + id + ".yaml";
        write_file(f, vsrv_spec(id, cg + "/" + id));
        start_argv.push_back(rt.argv({"run", "-d", "-f", f, id}));
      } else {
        std::string b = specs + "/" + id;
        write_bundle(b, runc_spec(id, cg + "/" + id));
        start_argv.push_back(rt.argv({"run", "-d", "--bundle", b, id}));
      }
    }
    Phase p;
    p.n = n;
    Servers set(rt);
    ::sync();
    std::cout << "; settling" << std::flush;
    p.settled_s = wait_until_settled(120);
    std::cout << " " << fmt(p.settled_s, 0) << " s" << std::flush;
    long long mem_before = mem_available_kib();
    long long pinned_before = pinned_kib();
    long long objects_before = unreclaimable_objects_kib();

    std::cout << "; starting" << std::flush;
    int64_t t0 = now_ns();
    for (int i = 0; i < n; ++i) {
      check_interrupted();
      set.add(ids[i]);
      p.start_ns.push_back(must_run(start_argv[i]).ns);
      if ((i + 1) % 100 == 0) std::cout << " " << i + 1 << std::flush;
    }
    p.total_ns = now_ns() - t0;

    sleep_ms(o_.settle_ms);
    p.mem_kib = static_cast<double>(mem_before - mem_available_kib()) / n;
    p.pinned_kib = static_cast<double>(pinned_kib() - pinned_before) / n;
    p.objects_kib = static_cast<double>(unreclaimable_objects_kib() - objects_before) / n;
    p.cgroup_kib = static_cast<double>(cgroup_memory_kib(cg)) / n;
    measure_processes(rt, p);

    std::cout << "; list" << std::flush;
    for (int i = 0; i < 5; ++i) p.list_ns.push_back(must_run(rt.argv({"list"}), true).ns);

    std::cout << "; teardown" << std::flush;
    t0 = now_ns();
    for (const auto& id : ids) {
      check_interrupted();
      p.teardown_ns.push_back(set.remove(id).ns);
    }
    p.teardown_total_ns = now_ns() - t0;
    std::cout << "; done (load " << load_average() << ")\n";
    return p;
  }

  const Runtime& vsrv() const { return vsrv_; }
  const Runtime& runc() const { return runc_; }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  // A short YAML read over vsrv's default spec, as a vsrv user writes it.
  static std::string vsrv_spec(const std::string& id, const std::string& cgroups_path) {
    return "vsrv: {template: bench}\n"
           "hostname: " +
           id +
           "\n"
           "process: {args: [sleep, \"100000\"], terminal: false}\n"
           "linux:\n"
           "  cgroupsPath: " +
           cgroups_path +
           "\n"
           "  namespaces: [{type: pid}, {type: mount}, {type: uts}, {type: ipc}, {type: "
           "network}]\n"
           "  resources: {memory: {limit: 32Mi}, pids: {limit: 16}}\n";
  }

  nlohmann::json runc_spec(const std::string& id, const std::string& cgroups_path) const {
    auto c = adapt_spec(base_, {"sleep", "100000"}, cgroups_path, rootfs_);
    c["hostname"] = id;
    c["linux"]["resources"]["memory"]["limit"] = 32 << 20;
    c["linux"]["resources"]["pids"]["limit"] = 16;
    return c;
  }

  // The runtime binary itself or a helper program of it (vsrv-monitor).
  static bool runtime_owned(const std::string& exe, const std::string& bin) {
    if (exe == bin) return true;
    std::string name = bin.substr(bin.rfind('/') + 1) + "-";
    std::string base = exe.substr(exe.rfind('/') + 1);
    return base.rfind(name, 0) == 0;
  }

  // PSS of each server's init and of the runtime's own process that parents
  // it (vsrv's monitor; runc leaves none: its containers are re-parented).
  void measure_processes(const Runtime& rt, Phase& p) const {
    std::string out = must_run(rt.argv({"list", "--format", "json"}), true).out;
    auto list = nlohmann::json::parse(out.empty() ? "null" : out);
    std::string bin = resolve_binary(rt.binary());
    std::set<int> owned;
    long long server_pss = 0, owned_pss = 0;
    for (const auto& s : list.is_array() ? list : nlohmann::json::array()) {
      if (s.value("status", "") != "running") continue;
      ++p.running;
      int pid = s.value("pid", 0);
      server_pss += pss_kib(pid);
      int parent = parent_of(pid);
      if (parent > 1 && runtime_owned(real_path(exe_of(parent)), bin) &&
          owned.insert(parent).second)
        owned_pss += pss_kib(parent);
    }
    p.server_pss_kib = static_cast<double>(server_pss) / p.n;
    p.runtime_pss_kib = static_cast<double>(owned_pss) / p.n;
    p.runtime_procs = static_cast<int>(owned.size());
  }

  const Options& o_;
  const Workspace& ws_;
  Runtime vsrv_, runc_;
  std::string rootfs_;
  nlohmann::json base_;
};

void report(int n, const Phase* v, const Phase* r) {
  auto num = [](const Phase* p, auto f, int decimals) {
    return p ? fmt(static_cast<double>(f(*p)), decimals) : std::string("-");
  };
  Table t({"N = " + std::to_string(n), "vsrv", "runc", "vsrv/runc"});
  auto row = [&](const std::string& label, auto f, int decimals = 2) {
    double a = v ? static_cast<double>(f(*v)) : NAN, b = r ? static_cast<double>(f(*r)) : NAN;
    t.add({label, num(v, f, decimals), num(r, f, decimals), ratio(a, b)});
  };
  auto decile = [](const Phase& p, bool last) {
    size_t d = std::max<size_t>(1, p.start_ns.size() / 10);
    return last ? slice(p.start_ns, p.start_ns.size() - d, p.start_ns.size())
                : slice(p.start_ns, 0, d);
  };
  row(
      "servers running", [](const Phase& p) { return p.running; }, 0);
  row("total start (s)", [](const Phase& p) { return p.total_ns / 1e9; });
  row("start (ms), all: median", [](const Phase& p) { return median_ms(p.start_ns); });
  row("start (ms), first decile: median",
      [&](const Phase& p) { return median_ms(decile(p, false)); });
  row("start (ms), first decile: p99",
      [&](const Phase& p) { return percentile_ms(decile(p, false), 99); });
  row("start (ms), last decile: median",
      [&](const Phase& p) { return median_ms(decile(p, true)); });
  row("start (ms), last decile: p99",
      [&](const Phase& p) { return percentile_ms(decile(p, true), 99); });
  row(
      "host memory per idle server (KiB, MemAvailable delta / N)",
      [](const Phase& p) { return p.mem_kib; }, 0);
  row(
      "  unreclaimable memory per server (KiB: anon + kernel, no caches)",
      [](const Phase& p) { return p.pinned_kib; }, 0);
  row(
      "  the same, slab as objects in use (KiB)", [](const Phase& p) { return p.objects_kib; }, 0);
  row(
      "memory charged to the servers' cgroups per server (KiB)",
      [](const Phase& p) { return p.cgroup_kib; }, 0);
  row(
      "PSS of the runtime's processes per server (KiB)",
      [](const Phase& p) { return p.runtime_pss_kib; }, 0);
  row(
      "  runtime processes left running", [](const Phase& p) { return p.runtime_procs; }, 0);
  row(
      "PSS of the server's process per server (KiB)",
      [](const Phase& p) { return p.server_pss_kib; }, 0);
  row("list (ms, median of 5)", [](const Phase& p) { return median_ms(p.list_ns); });
  row("teardown, delete --force (ms): median",
      [](const Phase& p) { return median_ms(p.teardown_ns); });
  row("teardown total / N (ms)",
      [](const Phase& p) { return p.teardown_total_ns / 1e6 / static_cast<double>(p.n); });
  std::cout << "\n" << t.str();
}

std::vector<int> parse_counts(const std::vector<std::string>& words) {
  std::vector<int> out;
  for (const auto& w : words) {
    std::istringstream in(w);
    for (std::string s; std::getline(in, s, ',');) {
      if (s.empty()) continue;
      int n = std::stoi(s);
      if (n <= 0) throw std::invalid_argument("counts must be positive: " + s);
      out.push_back(n);
    }
  }
  return out;
}

}  // namespace
}  // namespace vsrv::bench

int main(int argc, char** argv) {
  using namespace vsrv::bench;
  Options o;
  std::vector<std::string> counts{"100", "300"};
  CLI::App app{"vsrv against runc: N idle servers at once (start, memory, list, teardown)"};
  app.add_option("-n,--counts", counts, "Values of N, e.g. -n 100 300 1000 (or 100,300)")
      ->capture_default_str();
  app.add_flag("--runc-first", o.runc_first,
               "At each N, measure runc before vsrv (a phase after another's teardown reuses "
               "its freed kernel slabs and looks smaller)");
  app.add_option("--runc-max", o.runc_max, "Measure runc only for N up to this")
      ->capture_default_str();
  app.add_option("--vsrv", o.vsrv, "vsrv binary")->capture_default_str();
  app.add_option("--runc", o.runc, "runc binary")->capture_default_str();
  app.add_option("--state-dir", o.state_parent,
                 "Where both runtimes keep their state (--root); /run is a tmpfs on most hosts")
      ->capture_default_str();
  app.add_flag("--same-config", o.same_config,
               "Give vsrv runc's config.json (no seccomp filter) instead of the YAML over "
               "vsrv's default spec (which has one)");
  app.add_option("--settle-ms", o.settle_ms, "Pause before each memory reading")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    o.counts = parse_counts(counts);
  } catch (const std::exception& e) {
    std::cerr << "density: bad -n: " << e.what() << "\n";
    return 1;
  }

  install_interrupt_handlers();
  int rc = 0;
  Workspace ws(o.state_parent);
  try {
    Density d(o, ws);
    d.prepare();
    for (int n : o.counts) {
      const bool with_runc = n <= o.runc_max;
      std::optional<Phase> v, r;
      if (with_runc && o.runc_first) r = d.run(d.runc(), n);
      v = d.run(d.vsrv(), n);
      if (with_runc && !o.runc_first) r = d.run(d.runc(), n);
      report(n, &*v, r ? &*r : nullptr);
    }
  } catch (const Interrupted&) {
    std::cerr << "bench: interrupted; cleaning up\n";
    rc = 130;
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    rc = 1;
  }
  auto left = ws.cleanup();
  for (const auto& l : left) std::cerr << "bench: leftover: " << l << "\n";
  if (left.empty()) std::cout << "\nleftovers: none (processes, mounts, cgroups, state, files)\n";
  return left.empty() ? rc : 1;
}
