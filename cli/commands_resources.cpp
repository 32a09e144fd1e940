// Resource-control verbs: pause, resume, update, stats, events.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::cli {

namespace {

// "5s", "500ms", "1m", "0.5s" or a plain number of seconds -> milliseconds.
int parse_duration_ms(const std::string& flag, const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  double scale = unit.empty() || unit == "s" ? 1000 : unit == "ms" ? 1 : unit == "m" ? 60000 : 0;
  double ms = v * scale;
  if (used == 0 || scale == 0 || !(ms >= 1) || ms > 86400000)
    throw Error(ErrorKind::kUsage, flag + " " + text + ": not a duration (use e.g. 5s, 500ms, 1m)");
  return static_cast<int>(std::lround(ms));
}

template <typename T>
T number_flag(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0) throw std::invalid_argument(text);
    }
    return static_cast<T>(v);
  } catch (const std::exception&) {
    throw Error(ErrorKind::kUsage, flag + " " + text + ": must be a whole number");
  }
}

std::string human_bytes(uint64_t v) {
  const char* units[] = {"", "K", "M", "G", "T"};
  double d = static_cast<double>(v);
  int u = 0;
  while (d >= 1024 && u < 4) d /= 1024, ++u;
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.1f%s", d, units[u]);
  return buf;
}

std::string bytes_limit(const std::optional<uint64_t>& v) {
  return v ? human_bytes(*v) : "max";
}

// One block per server, one row per resource, as OpenVZ's beancounters:
// what is held, the most ever held, the limit and how often it refused.
void print_stats_table(const std::vector<std::pair<std::string, cgroups::Stats>>& all) {
  std::printf("%-20s %-10s %10s %10s %10s %10s\n", "ID", "RESOURCE", "HELD", "MAXHELD", "LIMIT",
              "FAILCNT");
  auto row = [](const std::string& id, const char* res, const std::string& held,
                const std::string& max, const std::string& limit, const std::string& fail) {
    std::printf("%-20s %-10s %10s %10s %10s %10s\n", id.c_str(), res, held.c_str(), max.c_str(),
                limit.c_str(), fail.c_str());
  };
  for (const auto& [id, s] : all) {
    const auto& m = s.memory;
    row(id, "memory", human_bytes(m.usage), m.peak ? human_bytes(m.peak) : "-",
        bytes_limit(m.limit), std::to_string(m.failcnt));
    row("", "swap", human_bytes(m.swap_usage), "-", bytes_limit(m.swap_limit),
        std::to_string(m.swap_failcnt));
    row("", "oomkills", std::to_string(m.oom_kills), "-", "-", "-");
    row("", "pids", std::to_string(s.pids.current), "-",
        s.pids.limit ? std::to_string(*s.pids.limit) : "max", std::to_string(s.pids.failcnt));
    char cpu[32], cpus[32] = "max";
    std::snprintf(cpu, sizeof cpu, "%.2fs", static_cast<double>(s.cpu.usage_usec) / 1e6);
    if (s.cpu.quota_usec && s.cpu.period_usec)
      std::snprintf(
          cpus, sizeof cpus, "%.2fcpu",
          static_cast<double>(*s.cpu.quota_usec) / static_cast<double>(s.cpu.period_usec));
    row("", "cpu", cpu, "-", cpus, std::to_string(s.cpu.throttled_periods));
    row("", "io.read", human_bytes(s.io.read_bytes), "-", "-", "-");
    row("", "io.write", human_bytes(s.io.write_bytes), "-", "-", "-");
  }
}

}  // namespace

void register_resource_commands(CLI::App& app, GlobalOptions& g) {
  {
    static std::string id;
    auto* cmd = app.add_subcommand("pause", "Freeze every process of a server");
    cmd->add_option("id", id, "Server id")->required();
    cmd->callback([&] { runtime::pause(g, id); });
  }
  {
    static std::string id;
    auto* cmd = app.add_subcommand("resume", "Thaw a paused server");
    cmd->add_option("id", id, "Server id")->required();
    cmd->callback([&] { runtime::resume(g, id); });
  }
  {
    static runtime::UpdateRequest req;
    static std::string memory, swap, reservation, cpus, shares, period, quota, cpuset_cpus,
        cpuset_mems, pids;
    auto* cmd = app.add_subcommand("update", "Change the resource limits of a live server");
    cmd->add_option("id", req.id, "Server id")->required();
    cmd->add_option("-r,--resources", req.resources_file,
                    "OCI linux.resources JSON file (\"-\": stdin)");
    auto* o_memory = cmd->add_option("-m,--memory", memory, "Memory limit (e.g. 256Mi; -1: none)");
    auto* o_swap = cmd->add_option("--memory-swap", swap, "Memory plus swap limit (-1: none)");
    auto* o_res = cmd->add_option("--memory-reservation", reservation, "Memory soft limit");
    auto* o_cpus = cmd->add_option("--cpus", cpus, "CPU count (e.g. 0.5): quota over the period");
    auto* o_shares = cmd->add_option("--cpu-shares,--cpu-share", shares, "CPU shares (weight)");
    auto* o_period = cmd->add_option("--cpu-period", period, "CPU CFS period (microseconds)");
    auto* o_quota = cmd->add_option("--cpu-quota", quota, "CPU CFS quota (microseconds; -1: none)");
    auto* o_ccpus = cmd->add_option("--cpuset-cpus", cpuset_cpus, "CPUs allowed (e.g. 0-1)");
    auto* o_cmems = cmd->add_option("--cpuset-mems", cpuset_mems, "Memory nodes allowed");
    auto* o_pids = cmd->add_option("--pids-limit", pids, "Maximum number of processes (-1: none)");
    cmd->callback([&g, o_memory, o_swap, o_res, o_cpus, o_shares, o_period, o_quota, o_ccpus,
                   o_cmems, o_pids] {
      if (o_memory->count()) req.memory = memory;
      if (o_swap->count()) req.memory_swap = swap;
      if (o_res->count()) req.memory_reservation = reservation;
      if (o_cpus->count()) {
        size_t used = 0;
        try {
          req.cpus = std::stod(cpus, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != cpus.size())
          throw Error(ErrorKind::kUsage, "--cpus " + cpus + ": must be a number such as 0.5");
      }
      if (o_shares->count()) req.cpu_shares = number_flag<uint64_t>("--cpu-shares", shares);
      if (o_period->count()) req.cpu_period = number_flag<uint64_t>("--cpu-period", period);
      if (o_quota->count()) req.cpu_quota = number_flag<int64_t>("--cpu-quota", quota);
      if (o_ccpus->count()) req.cpuset_cpus = cpuset_cpus;
      if (o_cmems->count()) req.cpuset_mems = cpuset_mems;
      if (o_pids->count()) req.pids_limit = number_flag<int64_t>("--pids-limit", pids);
      runtime::update(g, req);
    });
  }
  {
    static std::vector<std::string> ids;
    static std::string format = "table", interval = "1s";
    static bool watch = false;
    auto* cmd = app.add_subcommand("stats", "Usage, limits and failure counts of servers");
    cmd->add_option("id", ids, "Server ids (default: every server)");
    cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->add_flag("-w,--watch", watch, "Print again every interval until interrupted");
    cmd->add_option("--interval", interval, "Interval of --watch (e.g. 1s, 500ms)");
    cmd->callback([&] {
      int every = parse_duration_ms("--interval", interval);
      bool tty = ::isatty(1);
      for (;;) {
        std::vector<std::pair<std::string, cgroups::Stats>> all;
        if (!ids.empty()) {
          for (const auto& id : ids) all.emplace_back(id, runtime::stats(g, id));
        } else {
          for (const State& s : runtime::list(g)) {
            try {
              all.emplace_back(s.id, runtime::stats(g, s.id));
            } catch (const Error&) {
              // Deleted meanwhile, or no cgroup yet.
            }
          }
        }
        if (format == "json") {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& [id, s] : all) {
            nlohmann::json j = nlohmann::json::parse(runtime::stats_json(s));
            j["id"] = id;
            a.push_back(j);
          }
          std::cout << (watch ? a.dump() : a.dump(2)) << std::endl;
        } else {
          if (watch && tty) std::cout << "\033[H\033[2J";
          std::cout << std::flush;
          print_stats_table(all);
          std::fflush(stdout);
        }
        if (!watch) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(every));
      }
    });
  }
  {
    static std::string id, interval = "5s";
    static bool once = false;
    auto* cmd = app.add_subcommand(
        "events", "JSON lines: OOM events as they happen and stats every interval");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_flag("--stats", once, "Print the stats once and exit");
    cmd->add_option("--interval", interval, "Stats interval (default 5s)");
    cmd->callback(
        [&] { runtime::events(g, id, once, parse_duration_ms("--interval", interval), 1); });
  }
}

}  // namespace vsrv::cli
