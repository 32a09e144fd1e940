// The two runtimes side by side: the argv of each verb for vsrv and for runc
// (each with its own state dir), and the servers a benchmark started with
// one of them, deleted (--force) on every way out.
#pragma once

#include <string>
#include <vector>

#include "command.hpp"

namespace vsrv::bench {

class Runtime {
 public:
  enum class Kind { kVsrv, kRunc };
  // state_root: the runtime's --root; data: vsrv's --data (unused for runc).
  Runtime(Kind kind, std::string binary, std::string state_root, std::string data = "");

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::string& binary() const { return binary_; }
  const std::string& root() const { return root_; }  // --root

  // binary + global flags + rest.
  std::vector<std::string> argv(std::vector<std::string> rest) const;
  std::vector<std::string> exec_argv(const std::string& id, std::vector<std::string> cmd) const;
  std::vector<std::string> version_argv() const;

 private:
  Kind kind_;
  std::string name_, binary_, root_, data_;
};

class Servers {
 public:
  explicit Servers(const Runtime& rt) : rt_(rt) {}
  ~Servers() { delete_all(); }
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;

  // Call before the command that creates id, so a half-made server is cleaned.
  void add(const std::string& id) { ids_.push_back(id); }
  // For a server that removed itself (runc run, vsrv run --rm).
  void forget(const std::string& id);
  // Times `delete --force id` and forgets id; throws if the delete fails.
  Outcome remove(const std::string& id);
  // delete --force of every server still known (errors ignored: some may not exist).
  void delete_all();
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  const Runtime& rt_;
  std::vector<std::string> ids_;
};

}  // namespace vsrv::bench
