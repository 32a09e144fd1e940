#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "vsrv/runtime/options.hpp"

namespace vsrv::cli {

// Adds every verb to app. Each verb's callback runs the runtime and sets
// exit_code (for run/exec: the process's own code); errors propagate.
void register_commands(CLI::App& app, GlobalOptions& g, int& exit_code);
// template busybox|import|add|list|rm and check (commands_templates.cpp).
void register_template_commands(CLI::App& app, GlobalOptions& g);
void register_check_command(CLI::App& app);
// pause, resume, update, stats, events (commands_resources.cpp).
void register_resource_commands(CLI::App& app, GlobalOptions& g);

std::string json_log_line(const std::string& level, const std::string& msg,
                          const std::string& time);

}  // namespace vsrv::cli
