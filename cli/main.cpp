// vsrv: the command line. Parses arguments, calls the runtime, prints
// tables or JSON and maps errors to exit codes. No kernel work here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "vsrv/base/error.hpp"

namespace {

// One line on stderr; engines also get one JSON line per error in --log.
void report(const vsrv::GlobalOptions& g, const std::string& msg) {
  std::cerr << "vsrv: " << msg << "\n";
  if (g.log.empty()) return;
  std::ofstream log(g.log, std::ios::app);
  if (!log) return;
  char ts[64];
  std::time_t now = std::time(nullptr);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  if (g.log_format == "json") {
    log << vsrv::cli::json_log_line("error", msg, ts) << "\n";
  } else {
    log << ts << " error: " << msg << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  vsrv::GlobalOptions g;
  CLI::App app{"vsrv: daemonless virtual servers on one shared Linux kernel", "vsrv"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vsrv " VSRV_VERSION);
  app.add_option("--root", g.root, "State directory (tmpfs)")->capture_default_str();
  app.add_option("--data", g.data, "Templates and server storage")->capture_default_str();
  app.add_option("--log", g.log, "Also write errors to this file");
  app.add_option("--log-format", g.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "Verbose messages");
  app.add_option("--network-config", g.network_config,
                 "Host network config (YAML: bridge, subnet, subnet6, mtu; default "
                 "/etc/vsrv/network.yaml)");
  app.add_option("--idmap-pool", g.idmap_pool,
                 "Host ids for vsrv.idmap: auto, FIRST:COUNT (default: root's range in "
                 "/etc/subuid, else 1000000000:1000000000)");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "Use systemd for cgroups (not supported)");

  int exit_code = 0;
  vsrv::cli::register_commands(app, g, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report(g, std::string(e.what()) + " (see vsrv --help)");
    return 1;
  } catch (const vsrv::Error& e) {
    report(g, e.what());
    return static_cast<int>(e.kind());
  } catch (const std::exception& e) {
    report(g, e.what());
    return 1;
  }
  return exit_code;
}
