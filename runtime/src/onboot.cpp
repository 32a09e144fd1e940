#include "vsrv/runtime/onboot.hpp"

#include <sys/stat.h>

#include "build.hpp"
#include "prepare.hpp"
#include "saved_server.hpp"
#include "teardown.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {
namespace {

enum class Found { kNone, kCreated, kLive, kStopped };

Found look(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  struct stat st;
  if (::stat(store.dir(id).c_str(), &st) < 0) return Found::kNone;
  State s;
  try {
    UniqueFd lock = store.lock(id);
    s = store.derive(store.read(id));
  } catch (const Error&) {
    return Found::kStopped;  // a create that died before its state: cleaned like a stopped one
  }
  switch (s.status) {
    case Status::kCreated:
      return Found::kCreated;
    case Status::kStopped:
      return Found::kStopped;
    default:
      return Found::kLive;
  }
}

void rebuild(const GlobalOptions& g, const SavedServer& saved) {
  CreateRequest req;
  req.id = saved.id;
  req.no_pivot = saved.no_pivot;
  Prepared p = prepare_text(g, saved.id, saved.bundle, saved.spec_source, saved.spec_text,
                            saved.template_name);
  build_prepared(g, req, std::move(p), Parent::kMonitor, false, false, true);
  try {
    start(g, saved.id);
  } catch (...) {
    remove_server(g, saved.id, true, true);
    throw;
  }
}

}  // namespace

std::vector<OnbootResult> start_all_onboot(const GlobalOptions& g) {
  std::vector<OnbootResult> out;
  for (const SavedServer& saved : saved_servers(g)) {
    if (!saved.onboot) continue;
    OnbootResult r{saved.id, "started", ""};
    try {
      switch (look(g, saved.id)) {
        case Found::kLive:
          r.action = "running";
          break;
        case Found::kCreated:
          start(g, saved.id);
          break;
        case Found::kStopped:
          remove_server(g, saved.id, true, true);
          rebuild(g, saved);
          break;
        case Found::kNone:
          rebuild(g, saved);
          break;
      }
    } catch (const std::exception& e) {
      r.action = "failed";
      r.error = e.what();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vsrv::runtime
