// bench/lifecycle: the latency of a server's life, vsrv against runc (Debian's)
// side by side. One busybox bundle (rootfs copied from `vsrv template busybox`,
// config.json from `runc spec` adapted) is run by both runtimes alternately:
// `run` of /bin/true attached, the create/start/delete steps, and `exec` of
// /bin/true into a running server. Prints the median and p90 of each and the
// ratio vsrv/runc. Not a test: nothing here asserts a figure.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "support/bundle.hpp"
#include "support/files.hpp"
#include "support/host.hpp"
#include "support/stats.hpp"
#include "support/workspace.hpp"

namespace vsrv::bench {
namespace {

struct Options {
  int iterations = 50;
  int warmup = 3;
  std::string vsrv = VSRV_BINARY;
  std::string runc = "runc";
  bool cycle = true;
  bool exec = true;
  bool seccomp = true;
  std::string state_parent = "/dev/shm";
};

// Samples per (row, runtime).
using Samples = std::map<std::string, std::map<std::string, std::vector<int64_t>>>;

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

class Lifecycle {
 public:
  Lifecycle(const Options& o, const Workspace& ws)
      : o_(o),
        ws_(ws),
        vsrv_(Runtime::Kind::kVsrv, o.vsrv, ws.state_dir() + "/vsrv", ws.dir() + "/vsrv-data"),
        runc_(Runtime::Kind::kRunc, o.runc, ws.state_dir() + "/runc"),
        vs_(vsrv_),
        rs_(runc_) {}

  void prepare() {
    std::cout << "vsrv: " << first_line(must_run(vsrv_.version_argv(), true).out) << " (" << o_.vsrv
              << ")\n";
    std::cout << "runc: " << first_line(must_run(runc_.version_argv(), true).out) << " (" << o_.runc
              << ")\n";
    std::string tmpl = make_busybox_template(vsrv_, ws_.dir() + "/vsrv-data", "bench");
    bundle_ = ws_.dir() + "/bundle";
    make_dir(bundle_);
    copy_tree(tmpl, bundle_ + "/rootfs");
    base_ = runc_default_spec(runc_, ws_.dir() + "/runc-spec");
    write_bundle(bundle_,
                 adapt_spec(base_, {"/bin/true"}, ws_.cgroup_parent() + "/lifecycle", "rootfs"));
    std::cout << "bundle: " << bundle_ << " (busybox rootfs, config.json from `runc spec`: "
              << "terminal false, args [/bin/true], cgroupsPath " << ws_.cgroup_parent()
              << "/lifecycle)\n";
    std::cout << "state (--root of both): " << ws_.state_dir() << " on " << ws_.state_fs()
              << "\nload average before: " << load_average() << "\n\n";
  }

  void run_phase() {
    for (int i = -o_.warmup; i < o_.iterations; ++i) {
      check_interrupted();
      bool runc_first = (i & 1) != 0;  // alternate the order: no runtime always goes first
      if (runc_first) runc_run(i);
      vsrv_run(i);
      if (!runc_first) runc_run(i);
    }
  }

  void cycle_phase() {
    for (int i = -o_.warmup; i < o_.iterations; ++i) {
      check_interrupted();
      bool runc_first = (i & 1) != 0;
      if (runc_first) cycle(runc_, rs_, i);
      cycle(vsrv_, vs_, i);
      if (!runc_first) cycle(runc_, rs_, i);
    }
  }

  void exec_phase() {
    std::string ids[2] = {"x-vsrv", "x-runc"};
    Runtime* rts[2] = {&vsrv_, &runc_};
    Servers* sets[2] = {&vs_, &rs_};
    for (int k = 0; k < 2; ++k) {
      // Each server its own cgroup: one shared cgroup would be killed by the first delete.
      std::string dir = ws_.dir() + "/bundle-exec-" + rts[k]->name();
      write_bundle(
          dir, adapt_spec(base_, {"sleep", "100000"},
                          ws_.cgroup_parent() + "/exec-" + rts[k]->name(), bundle_ + "/rootfs"));
      sets[k]->add(ids[k]);
      must_run(rts[k]->argv({"run", "-d", "--bundle", dir, ids[k]}));
    }
    for (int i = -o_.warmup; i < o_.iterations; ++i) {
      check_interrupted();
      for (int n = 0; n < 2; ++n) {
        int k = (i & 1) ? 1 - n : n;
        Outcome e = must_run(rts[k]->exec_argv(ids[k], {"/bin/true"}));
        if (i >= 0) s_["exec /bin/true"][rts[k]->name()].push_back(e.ns);
      }
    }
    vs_.remove(ids[0]);
    rs_.remove(ids[1]);
  }

  // vsrv alone: run --rm with vsrv's default spec (its seccomp allow-list),
  // the compiled BPF cached under --root or compiled anew (cache emptied
  // before each run): what the cache saves per server.
  void seccomp_phase() {
    std::string dir = ws_.dir() + "/bundle-seccomp";
    auto spec = nlohmann::json::parse(must_run(vsrv_.argv({"spec", "--format", "json"}), true).out);
    spec.erase("vsrv");  // its template: this bundle has its own rootfs
    write_bundle(dir, adapt_spec(spec, {"/bin/true"}, ws_.cgroup_parent() + "/seccomp",
                                 bundle_ + "/rootfs"));
    const std::string cache = vsrv_.root() + "/.seccomp";
    for (int i = -o_.warmup; i < o_.iterations; ++i) {
      check_interrupted();
      for (int n = 0; n < 2; ++n) {
        bool cold = ((i & 1) != 0) == (n == 0);
        if (cold) must_run({"/bin/rm", "-rf", cache});
        std::string c = id(cold ? "sc-cold" : "sc-warm", i);
        vs_.add(c);
        record(cold ? "seccomp cold" : "seccomp warm", vsrv_, i,
               must_run(vsrv_.argv({"run", "--rm", "--bundle", dir, c})).ns);
        vs_.forget(c);
      }
    }
  }

  void report() const {
    std::cout << "load average after: " << load_average() << "\n\n";
    Table t({"ms (" + std::to_string(o_.iterations) + " runs)", "vsrv median", "p90", "runc median",
             "p90", "vsrv/runc"});
    auto row = [&](const std::string& label, const std::string& vkey, const std::string& rkey) {
      auto v = samples(vkey, "vsrv"), r = samples(rkey, "runc");
      if (v.empty() && r.empty()) return;
      t.add({label, fmt(median_ms(v)), fmt(percentile_ms(v, 90)), fmt(median_ms(r)),
             fmt(percentile_ms(r, 90)), ratio(median_ms(v), median_ms(r))});
    };
    row("run, gone after (vsrv run --rm | runc run)", "run --rm", "run");
    row("run, stopped server kept (vsrv run | runc run)", "run", "run");
    row("delete of the stopped server (vsrv)", "delete", "");
    row("create", "create", "create");
    row("start", "start", "start");
    row("delete --force", "delete --force", "delete --force");
    row("create + start + delete", "cycle", "cycle");
    row("exec /bin/true", "exec /bin/true", "exec /bin/true");
    row("run --rm, default seccomp profile, cached (vsrv)", "seccomp warm", "");
    row("run --rm, default seccomp profile, compiled (vsrv)", "seccomp cold", "");
    std::cout << t.str();
    auto warm = samples("seccomp warm", "vsrv"), cold = samples("seccomp cold", "vsrv");
    if (!warm.empty() && !cold.empty())
      std::cout << "\nseccomp cache: a server with the default profile starts "
                << fmt(median_ms(cold) - median_ms(warm)) << " ms sooner when its compiled BPF "
                << "is cached under --root\n";
    std::cout << "\nrunc run deletes its container when the process exits; vsrv run keeps the "
                 "stopped server (exit status for `state`/`list`) unless --rm.\n";
    double v = median_ms(samples("run --rm", "vsrv")), r = median_ms(samples("run", "runc"));
    std::cout << "goal (issue 2): vsrv run <= 0.5x runc run: " << (v <= 0.5 * r ? "met" : "NOT met")
              << " (" << ratio(v, r) << ")\n";
  }

 private:
  std::vector<int64_t> samples(const std::string& row, const std::string& rt) const {
    auto a = s_.find(row);
    if (a == s_.end()) return {};
    auto b = a->second.find(rt);
    return b == a->second.end() ? std::vector<int64_t>{} : b->second;
  }

  void record(const std::string& row, const Runtime& rt, int i, int64_t ns) {
    if (i >= 0) s_[row][rt.name()].push_back(ns);
  }

  std::string id(const char* what, int i) const {
    return std::string(what) + std::to_string(i + o_.warmup);
  }

  void vsrv_run(int i) {
    std::string a = id("rm", i), b = id("keep", i);
    vs_.add(a);
    record("run --rm", vsrv_, i, must_run(vsrv_.argv({"run", "--rm", "--bundle", bundle_, a})).ns);
    vs_.forget(a);
    vs_.add(b);
    record("run", vsrv_, i, must_run(vsrv_.argv({"run", "--bundle", bundle_, b})).ns);
    record("delete", vsrv_, i, must_run(vsrv_.argv({"delete", b})).ns);
    vs_.forget(b);
  }

  void runc_run(int i) {
    std::string a = id("run", i);
    rs_.add(a);
    Outcome o = must_run(runc_.argv({"run", "--bundle", bundle_, a}));
    rs_.forget(a);  // runc run deleted it
    record("run", runc_, i, o.ns);
    record("run --rm", runc_, i, o.ns);
  }

  void cycle(const Runtime& rt, Servers& set, int i) {
    std::string c = id("cycle", i);
    set.add(c);
    int64_t cr = must_run(rt.argv({"create", "--bundle", bundle_, c})).ns;
    int64_t st = must_run(rt.argv({"start", c})).ns;
    int64_t de = set.remove(c).ns;
    record("create", rt, i, cr);
    record("start", rt, i, st);
    record("delete --force", rt, i, de);
    record("cycle", rt, i, cr + st + de);
  }

  const Options& o_;
  const Workspace& ws_;
  Runtime vsrv_, runc_;
  Servers vs_, rs_;
  std::string bundle_;
  nlohmann::json base_;
  Samples s_;
};

}  // namespace
}  // namespace vsrv::bench

int main(int argc, char** argv) {
  using namespace vsrv::bench;
  Options o;
  CLI::App app{"vsrv against runc: run, create/start/delete and exec latency of /bin/true"};
  app.add_option("-n,--iterations", o.iterations, "Measured iterations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "Unmeasured iterations first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--vsrv", o.vsrv, "vsrv binary")->capture_default_str();
  app.add_option("--runc", o.runc, "runc binary")->capture_default_str();
  app.add_option("--state-dir", o.state_parent,
                 "Where both runtimes keep their state (--root); /run is a tmpfs on most hosts")
      ->capture_default_str();
  app.add_flag("!--no-cycle", o.cycle, "Skip the create/start/delete steps");
  app.add_flag("!--no-exec", o.exec, "Skip exec");
  app.add_flag("!--no-seccomp", o.seccomp, "Skip the seccomp cache rows");
  CLI11_PARSE(app, argc, argv);

  install_interrupt_handlers();
  int rc = 0;
  Workspace ws(o.state_parent);
  try {
    Lifecycle b(o, ws);
    b.prepare();
    b.run_phase();
    if (o.cycle) b.cycle_phase();
    if (o.exec) b.exec_phase();
    if (o.seccomp) b.seccomp_phase();
    b.report();
  } catch (const Interrupted&) {
    std::cerr << "bench: interrupted; cleaning up\n";
    rc = 130;
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    rc = 1;
  }
  auto left = ws.cleanup();
  for (const auto& l : left) std::cerr << "bench: leftover: " << l << "\n";
  if (left.empty()) std::cout << "leftovers: none (processes, mounts, cgroups, state, files)\n";
  return left.empty() ? rc : 1;
}
