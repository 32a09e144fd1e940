// template busybox | import | add | list | rm, and check.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "progress.hpp"
#include "vsrv/runtime/check.hpp"
#include "vsrv/runtime/templates.hpp"

namespace vsrv::cli {

namespace {

std::string human(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

void print_template_list(const std::vector<runtime::TemplateInfo>& ts, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& t : ts)
      a.push_back({{"name", t.name}, {"bytes", t.bytes}, {"servers", t.servers}});
    std::cout << a.dump(2) << "\n";
    return;
  }
  std::printf("%-20s %10s  %s\n", "NAME", "SIZE", "SERVERS");
  for (const auto& t : ts) {
    std::string users = std::to_string(t.servers.size());
    for (size_t i = 0; i < t.servers.size() && i < 3; ++i)
      users += (i ? ", " : " (") + t.servers[i];
    if (t.servers.size() > 3) users += ", ...";
    if (!t.servers.empty()) users += ")";
    std::printf("%-20s %10s  %s\n", t.name.c_str(), human(t.bytes).c_str(), users.c_str());
  }
}

void print_checks(const std::vector<runtime::HostCheck>& checks, uint64_t n, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : checks) {
      a.push_back({{"name", c.name},
                   {"current", c.current},
                   {"needed", c.needed},
                   {"ok", c.ok},
                   {"limits", c.limits}});
    }
    std::cout << a.dump(2) << "\n";
    return;
  }
  std::printf("%-36s %20s %20s  %s\n", "SETTING", "CURRENT", "NEEDED", "STATUS");
  int low = 0;
  for (const auto& c : checks) {
    const char* status = c.current.empty() ? "absent" : c.ok ? "ok" : "LOW";
    if (!c.ok) ++low;
    std::printf("%-36s %20s %20llu  %s\n", c.name.c_str(),
                c.current.empty() ? "-" : c.current.c_str(),
                static_cast<unsigned long long>(c.needed), status);
  }
  std::printf("\n");
  if (low == 0) {
    std::printf("The host is ready for %llu servers.\n", static_cast<unsigned long long>(n));
    return;
  }
  std::printf("%d setting%s too low for %llu servers:\n", low, low == 1 ? " is" : "s are",
              static_cast<unsigned long long>(n));
  for (const auto& c : checks) {
    if (c.ok) continue;
    std::printf("  %s: %s\n    sysctl -w %s=%llu\n", c.name.c_str(), c.limits.c_str(),
                c.name.c_str(), static_cast<unsigned long long>(c.needed));
  }
  std::printf(
      "To keep them across reboots, put the same name=value lines in "
      "/etc/sysctl.d/90-vsrv.conf.\n");
}

}  // namespace

void register_template_commands(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("template", "Server templates");
  cmd->require_subcommand(1);
  static std::string name, file, dir, format = "table";

  auto* bb = cmd->add_subcommand("busybox", "Build a template from Debian's busybox-static");
  bb->add_option("name", name, "Template name")->required();
  bb->callback([&] { runtime::template_busybox(g, name); });

  auto* imp = cmd->add_subcommand("import", "A template from a tar archive (.tar, .gz, .xz, .zst)");
  imp->add_option("name", name, "Template name")->required();
  imp->add_option("file", file, "The archive")->required();
  imp->callback([&] {
    ProgressBar bar("import " + name);
    runtime::template_import(g, name, file, [&](uint64_t d, uint64_t t) { bar.update(d, t); });
  });

  auto* add = cmd->add_subcommand("add", "A template copied from a directory tree");
  add->add_option("name", name, "Template name")->required();
  add->add_option("--dir", dir, "The directory to copy")->required();
  add->callback([&] {
    ProgressBar bar("copy " + dir);
    runtime::template_add(g, name, dir, [&](uint64_t d, uint64_t t) { bar.update(d, t); });
  });

  auto* ls = cmd->add_subcommand("list", "Templates, their size and the servers using them");
  ls->alias("ls");
  ls->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->callback([&] { print_template_list(runtime::template_list(g), format == "json"); });

  auto* rm = cmd->add_subcommand("rm", "Remove a template no server uses");
  rm->add_option("name", name, "Template name")->required();
  rm->callback([&] { runtime::template_remove(g, name); });
}

void register_check_command(CLI::App& app) {
  static uint64_t servers = 1000;
  static std::string format = "table";
  auto* cmd = app.add_subcommand("check", "Host settings that limit how many servers fit");
  cmd->add_option("-n,--servers", servers, "Number of servers to plan for")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&] { print_checks(runtime::check_host(servers), servers, format == "json"); });
}

}  // namespace vsrv::cli
