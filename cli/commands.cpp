#include "commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "output.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/runtime/onboot.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec_parser.hpp"
#include "vsrv/runtime/templates.hpp"

namespace vsrv::cli {

namespace {

using runtime::CreateRequest;

void refuse_systemd(const GlobalOptions& g) {
  if (!g.systemd_cgroup) return;
  struct stat st;
  bool systemd = ::stat("/run/systemd/system", &st) == 0;
  throw Error(ErrorKind::kUsage,
              systemd ? "--systemd-cgroup: the systemd cgroup driver is not supported; use cgroupfs"
                      : "--systemd-cgroup: systemd is not running on this host; use cgroupfs");
}

void add_create_options(CLI::App* cmd, CreateRequest& req) {
  cmd->add_option("id", req.id, "Server id")->required();
  cmd->add_option("-b,--bundle", req.bundle, "Bundle directory (config.json or config.yaml)");
  cmd->add_option("-f,--file", req.spec_file, "Spec file (YAML or JSON)");
  cmd->add_option("--template", req.template_name, "Template to use as the root filesystem");
  cmd->add_option("--pid-file", req.pid_file, "Write the init's pid here");
  cmd->add_option("--console-socket", req.console_socket, "Unix socket to receive the pty master");
  cmd->add_flag("--no-pivot", req.no_pivot, "chroot instead of pivot_root");
  // Accepted for runc compatibility; their behaviour is vsrv's default.
  static bool no_new_keyring = false;
  static std::string preserve_fds;
  cmd->add_flag("--no-new-keyring", no_new_keyring, "Accepted for runc compatibility");
  cmd->add_option("--preserve-fds", preserve_fds, "Accepted for runc compatibility (must be 0)")
      ->check(CLI::IsMember({"0"}));
}

std::optional<uint32_t> to_id(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    unsigned long v = std::stoul(s, &used);
    if (used != s.size() || v > 0xffffffffUL) throw std::invalid_argument(s);
    return static_cast<uint32_t>(v);
  } catch (const std::exception&) {
    throw Error(ErrorKind::kUsage, what + " " + s + ": must be a number");
  }
}

}  // namespace

std::string json_log_line(const std::string& level, const std::string& msg,
                          const std::string& time) {
  return nlohmann::json{{"level", level}, {"msg", msg}, {"time", time}}.dump();
}

void register_commands(CLI::App& app, GlobalOptions& g, int& exit_code) {
  // spec
  {
    auto* cmd = app.add_subcommand("spec", "Write a commented default spec");
    static std::string out, bundle, format = "yaml";
    cmd->add_option("-o,--output", out, "File to write (default: stdout)");
    cmd->add_option("-b,--bundle", bundle,
                    "Write config.yaml (or config.json) into this directory");
    cmd->add_option("--format", format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
    cmd->callback([&] {
      std::string text = format == "json" ? spec::default_spec_json() : spec::default_spec_yaml();
      std::string path = out;
      if (path.empty() && !bundle.empty())
        path = bundle + (format == "json" ? "/config.json" : "/config.yaml");
      if (path.empty()) {
        std::cout << text;
        return;
      }
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) throw Error(ErrorKind::kUsage, path + ": exists already");
      write_file_atomic(path, text, 0644);
    });
  }
  // create / run
  {
    static CreateRequest req;
    auto* cmd = app.add_subcommand("create", "Build a server; its process waits for start");
    add_create_options(cmd, req);
    cmd->callback([&] {
      refuse_systemd(g);
      runtime::create(g, req);
    });
  }
  {
    static runtime::RunRequest req;
    auto* cmd = app.add_subcommand("run", "Create and start a server; attached unless -d");
    add_create_options(cmd, req.create);
    cmd->add_flag("-d,--detach", req.detach, "Detach: a monitor keeps the log and the exit status");
    cmd->add_flag("-t,--tty", req.tty, "Allocate a terminal");
    cmd->add_flag("--rm", req.rm, "Delete the server when its process exits");
    cmd->callback([&] {
      refuse_systemd(g);
      exit_code = runtime::run(g, req);
    });
  }
  {
    static std::string id;
    static bool all_onboot = false;
    auto* cmd = app.add_subcommand("start", "Run the user's process of a created server");
    cmd->add_option("id", id, "Server id");
    cmd->add_flag("--all-onboot", all_onboot,
                  "Start every server marked vsrv.onboot (at boot; stopped ones are built again)");
    cmd->callback([&] {
      if (all_onboot == !id.empty())
        throw Error(ErrorKind::kUsage, "start: give a server id or --all-onboot (not both)");
      if (!all_onboot) return runtime::start(g, id);
      for (const auto& r : runtime::start_all_onboot(g)) {
        if (r.action == "failed") {
          std::cerr << "vsrv: start " << r.id << ": " << r.error << "\n";
          exit_code = 1;
        } else {
          std::cout << r.id << ": " << r.action << "\n";
        }
      }
    });
  }
  // relaunch: run by vsrv-monitor in its own process when a server's init
  // exits the way its restart policy restarts (runtime::relaunch).
  {
    static std::string id;
    static int log_fd = -1, code = 0;
    auto* cmd = app.add_subcommand("relaunch", "");  // no group: not listed in --help
    cmd->group("");
    cmd->add_option("id", id)->required();
    cmd->add_option("log_fd", log_fd)->required();
    cmd->add_option("code", code)->required();
    cmd->callback([&] { runtime::relaunch(g, id, log_fd, code); });
  }
  // exec
  {
    static runtime::ExecRequest req;
    static std::string user;
    auto* cmd = app.add_subcommand("exec", "Run another process inside a running server");
    cmd->add_option("id", req.id, "Server id")->required();
    cmd->add_option("command", req.args, "Command and arguments (after --)");
    cmd->add_flag("-t,--tty", req.tty, "Allocate a terminal");
    cmd->add_flag("-d,--detach", req.detach, "Do not wait for the process");
    cmd->add_option("-e,--env", req.env, "Set an environment variable K=V")->take_all();
    cmd->add_option("--cwd", req.cwd, "Working directory inside the server");
    cmd->add_option("-u,--user", user, "UID[:GID]");
    cmd->add_option("-p,--process", req.process_file, "OCI process JSON file");
    cmd->add_option("--pid-file", req.pid_file, "Write the process's pid here");
    cmd->add_option("--console-socket", req.console_socket,
                    "Unix socket to receive the pty master");
    cmd->callback([&] {
      if (!user.empty()) {
        auto colon = user.find(':');
        req.uid = to_id(user.substr(0, colon), "--user");
        if (colon != std::string::npos) req.gid = to_id(user.substr(colon + 1), "--user");
      }
      if (req.args.empty() && req.process_file.empty())
        throw Error(ErrorKind::kUsage, "exec: no command given (vsrv exec ID -- CMD...)");
      exit_code = runtime::exec(g, req);
    });
  }
  // state / list / ps
  {
    static std::string id;
    auto* cmd = app.add_subcommand("state", "OCI state JSON of a server");
    cmd->add_option("id", id, "Server id")->required();
    cmd->callback([&] { std::cout << runtime::state_json(g, id) << "\n"; });
  }
  {
    static bool quiet = false;
    static std::string format = "table";
    auto* cmd = app.add_subcommand("list", "List servers");
    cmd->alias("ls");
    cmd->add_flag("-q,--quiet", quiet, "Only ids");
    cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([&] { print_list(runtime::list(g), quiet, format == "json"); });
  }
  {
    static std::string id, format = "table";
    auto* cmd = app.add_subcommand("ps", "Processes of a server");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_option("--format,-f", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->callback([&] { print_processes(runtime::processes(g, id), format == "json"); });
  }
  // kill / stop / delete
  {
    static std::string id, sig = "TERM";
    static bool all = false;
    auto* cmd = app.add_subcommand("kill", "Send a signal to a server's init (or --all)");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_option("signal", sig, "Signal name or number (default TERM)");
    cmd->add_flag("-a,--all", all, "Signal every process of the server");
    cmd->callback([&] { runtime::kill(g, id, runtime::parse_signal(sig), all); });
  }
  {
    static std::string id;
    static int timeout = 10;
    auto* cmd = app.add_subcommand("stop", "Stop signal, then KILL after a timeout");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_option("-t,--time", timeout, "Seconds to wait before KILL")
        ->check(CLI::NonNegativeNumber);
    cmd->callback([&] { runtime::stop(g, id, timeout); });
  }
  {
    static std::string id;
    static bool force = false;
    auto* cmd = app.add_subcommand("delete", "Remove a stopped server");
    cmd->alias("rm");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_flag("-f,--force", force, "Stop it first; clean half-created servers");
    cmd->callback([&] { runtime::remove(g, id, force); });
  }
  {
    static std::string id;
    static bool follow = false;
    auto* cmd = app.add_subcommand("logs", "Output of a detached server");
    cmd->add_option("id", id, "Server id")->required();
    cmd->add_flag("-f,--follow", follow, "Keep following until the server stops");
    cmd->callback([&] { runtime::logs(g, id, follow, 1); });
  }
  register_resource_commands(app, g);
  register_template_commands(app, g);
  register_check_command(app);
  app.add_subcommand("features", "OCI features JSON")->callback([] {
    std::cout << runtime::features_json() << "\n";
  });
  app.add_subcommand("version", "Versions of vsrv and its libraries")->callback([] {
    print_version();
  });
}

}  // namespace vsrv::cli
