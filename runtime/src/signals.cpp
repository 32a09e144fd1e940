#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

int parse_signal(const std::string& text) {
  std::string t = text;
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) {
    int n = std::stoi(t);
    if (n > 0 && n < NSIG) return n;
    throw Error(ErrorKind::kUsage, "signal " + text + ": out of range");
  }
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (t.rfind("SIG", 0) == 0) t = t.substr(3);
  for (int n = 1; n < NSIG; ++n) {
    const char* abbrev = ::sigabbrev_np(n);
    if (abbrev && t == abbrev) return n;
  }
  if (t.rfind("RTMIN+", 0) == 0) return SIGRTMIN + std::stoi(t.substr(6));
  throw Error(ErrorKind::kUsage, "unknown signal \"" + text + "\"");
}

}  // namespace vsrv::runtime
