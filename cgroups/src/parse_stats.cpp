// Parsing of cgroup statistics files (pure functions).
#include <cerrno>
#include <cstdlib>

#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups {

namespace {

// A whole unsigned decimal number, or nothing.
std::optional<uint64_t> number(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<uint64_t>(v);
}

}  // namespace

std::map<std::string, uint64_t> flat_keyed(const std::string& text) {
  std::map<std::string, uint64_t> out;
  for (const std::string& line : split(text, '\n')) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    if (auto v = number(trim(line.substr(sp + 1)))) out[line.substr(0, sp)] = *v;
  }
  return out;
}

std::optional<uint64_t> parse_limit(const std::string& text) {
  std::string t = trim(text);
  if (t == "max" || t == "-1") return std::nullopt;
  auto v = number(t);
  if (!v || *v >= (uint64_t{1} << 62)) return std::nullopt;
  return v;
}

IoTotals parse_io_stat(const std::string& text) {
  IoTotals t;
  for (const std::string& line : split(text, '\n')) {
    for (const std::string& field : split(line, ' ')) {
      size_t eq = field.find('=');
      if (eq == std::string::npos) continue;
      auto v = number(field.substr(eq + 1));
      if (!v) continue;
      std::string key = field.substr(0, eq);
      if (key == "rbytes") t.read_bytes += *v;
      if (key == "wbytes") t.write_bytes += *v;
      if (key == "rios") t.read_ios += *v;
      if (key == "wios") t.write_ios += *v;
    }
  }
  return t;
}

IoTotals parse_blkio(const std::string& text) {
  IoTotals t;
  for (const std::string& line : split(text, '\n')) {
    auto f = split(line, ' ');
    if (f.size() != 3) continue;  // "Total N" and empty lines
    auto v = number(f[2]);
    if (!v) continue;
    if (f[1] == "Read") t.read_bytes += *v;
    if (f[1] == "Write") t.write_bytes += *v;
  }
  return t;
}

std::string caller_base(const std::string& own) {
  const std::string tail = std::string("/") + kCallerLeaf;
  if (own.size() > tail.size() && own.compare(own.size() - tail.size(), tail.size(), tail) == 0) {
    std::string parent = own.substr(0, own.size() - tail.size());
    return parent.empty() ? "/" : parent;
  }
  if (own == tail) return "/";
  return own;
}

}  // namespace vsrv::cgroups
