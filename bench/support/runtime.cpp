#include "runtime.hpp"

#include <algorithm>

namespace vsrv::bench {

Runtime::Runtime(Kind kind, std::string binary, std::string state_root, std::string data)
    : kind_(kind),
      name_(kind == Kind::kVsrv ? "vsrv" : "runc"),
      binary_(std::move(binary)),
      root_(std::move(state_root)),
      data_(std::move(data)) {}

std::vector<std::string> Runtime::argv(std::vector<std::string> rest) const {
  std::vector<std::string> a{binary_, "--root", root_};
  if (kind_ == Kind::kVsrv) a.insert(a.end(), {"--data", data_});
  a.insert(a.end(), rest.begin(), rest.end());
  return a;
}

std::vector<std::string> Runtime::exec_argv(const std::string& id,
                                            std::vector<std::string> cmd) const {
  std::vector<std::string> rest{"exec", id};
  if (kind_ == Kind::kVsrv) rest.push_back("--");
  rest.insert(rest.end(), cmd.begin(), cmd.end());
  return argv(rest);
}

std::vector<std::string> Runtime::version_argv() const {
  return {binary_, kind_ == Kind::kVsrv ? "version" : "--version"};
}

void Servers::forget(const std::string& id) {
  ids_.erase(std::remove(ids_.begin(), ids_.end(), id), ids_.end());
}

Outcome Servers::remove(const std::string& id) {
  Outcome o = must_run(rt_.argv({"delete", "--force", id}));
  forget(id);
  return o;
}

void Servers::delete_all() {
  for (const auto& id : ids_) run_command(rt_.argv({"delete", "--force", id}));
  ids_.clear();
}

}  // namespace vsrv::bench
