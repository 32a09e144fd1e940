// Device rules -> the state of a device cgroup, as the v1 controller keeps
// it (pure functions; the backends write or compile the result).
#include "vsrv/cgroups/devices.hpp"

#include <cstdlib>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::cgroups {

namespace {

std::string number(const std::optional<uint32_t>& n) {
  return n ? std::to_string(*n) : "*";
}

std::string key_string(const DeviceKey& k, unsigned access) {
  return std::string(1, k.type) + " " + number(k.major) + ":" + number(k.minor) + " " +
         access_string(access);
}

// A wildcard component matches every number.
bool part_covers(const std::optional<uint32_t>& wide, const std::optional<uint32_t>& narrow) {
  return !wide || wide == narrow;
}
bool part_overlaps(const std::optional<uint32_t>& a, const std::optional<uint32_t>& b) {
  return !a || !b || a == b;
}
// Every device of `narrow` is a device of `wide`.
bool covers(const DeviceKey& wide, const DeviceKey& narrow) {
  return wide.type == narrow.type && part_covers(wide.major, narrow.major) &&
         part_covers(wide.minor, narrow.minor);
}
bool overlaps(const DeviceKey& a, const DeviceKey& b) {
  return a.type == b.type && part_overlaps(a.major, b.major) && part_overlaps(a.minor, b.minor);
}
bool matches(const DeviceKey& k, char type, uint32_t major, uint32_t minor) {
  return k.type == type && (!k.major || *k.major == major) && (!k.minor || *k.minor == minor);
}

std::optional<uint32_t> parse_number(const std::string& s) {
  if (s == "*") return std::nullopt;
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error("devices.list: bad device number \"" + s + "\"");
  return static_cast<uint32_t>(std::strtoul(s.c_str(), nullptr, 10));
}

}  // namespace

std::string access_string(unsigned access) {
  std::string s;
  if (access & kDevRead) s += 'r';
  if (access & kDevWrite) s += 'w';
  if (access & kDevMknod) s += 'm';
  return s;
}

std::optional<unsigned> parse_access(const std::string& text) {
  unsigned bits = 0;
  for (char c : text) {
    unsigned bit = c == 'r' ? kDevRead : c == 'w' ? kDevWrite : c == 'm' ? kDevMknod : 0;
    if (!bit) return std::nullopt;
    bits |= bit;
  }
  if (!bits) return std::nullopt;
  return bits;
}

std::string rule_string(const DeviceRule& r) {
  return key_string({r.type, r.major, r.minor}, r.access);
}

std::vector<DeviceRule> default_device_rules() {
  auto allow = [](char type, std::optional<uint32_t> major, std::optional<uint32_t> minor,
                  unsigned access) {
    return DeviceRule{true, type, major, minor, access};
  };
  return {
      DeviceRule{false, 'a', std::nullopt, std::nullopt, kDevAll},
      allow('c', std::nullopt, std::nullopt, kDevMknod),
      allow('b', std::nullopt, std::nullopt, kDevMknod),
      allow('c', 1, 3, kDevAll),               // null
      allow('c', 1, 5, kDevAll),               // zero
      allow('c', 1, 7, kDevAll),               // full
      allow('c', 1, 8, kDevAll),               // random
      allow('c', 1, 9, kDevAll),               // urandom
      allow('c', 5, 0, kDevAll),               // tty
      allow('c', 5, 2, kDevAll),               // ptmx
      allow('c', 136, std::nullopt, kDevAll),  // pts/*
  };
}

void DeviceState::apply(const DeviceRule& rule) {
  if (rule.type == 'a') {
    default_allow = rule.allow;
    exceptions.clear();
    return;
  }
  const DeviceKey key{rule.type, rule.major, rule.minor};
  if (rule.allow != default_allow) {
    // An exception to the default: merged with the one for the same key.
    exceptions[key] |= rule.access;
    return;
  }
  // The rule agrees with the default: take its access out of every exception
  // it covers. An exception it only overlaps (a wildcard around it, or one
  // crossing it) would keep granting that access to the rule's devices.
  for (const auto& [k, bits] : exceptions) {
    if ((bits & rule.access) && !covers(key, k) && overlaps(key, k))
      throw Error("cannot " + std::string(rule.allow ? "allow" : "deny") + " \"" +
                  rule_string(rule) + "\" while \"" + key_string(k, bits) + "\" " +
                  (rule.allow ? "denies" : "allows") +
                  " it: the device cgroup keeps whole rules and cannot cut a hole in a wider one");
  }
  for (auto it = exceptions.begin(); it != exceptions.end();) {
    if (covers(key, it->first)) it->second &= ~rule.access;
    it = it->second ? std::next(it) : exceptions.erase(it);
  }
}

bool DeviceState::allows(char type, uint32_t major, uint32_t minor, unsigned access) const {
  for (const auto& [k, bits] : exceptions) {
    if (!matches(k, type, major, minor)) continue;
    if (default_allow && (access & bits)) return false;
    if (!default_allow && !(access & ~bits)) return true;
  }
  return default_allow;
}

DeviceState device_state(const std::vector<DeviceRule>& rules) {
  DeviceState s;
  for (const DeviceRule& r : rules) s.apply(r);
  return s;
}

ListedDevices parse_devices_list(const std::string& text) {
  ListedDevices out;
  out.state.default_allow = false;
  for (const std::string& line : split(text, '\n')) {
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split(trim(line), ' ');
    size_t colon = f.size() == 3 ? f[1].find(':') : std::string::npos;
    auto access = f.size() == 3 ? parse_access(f[2]) : std::nullopt;
    if (colon == std::string::npos || !access || f[0].size() != 1 ||
        std::string("abc").find(f[0][0]) == std::string::npos)
      throw Error("devices.list: cannot read \"" + line + "\"");
    if (f[0] == "a") {
      out.state = DeviceState{};
      out.exceptions_unknown = true;
      return out;
    }
    DeviceKey k{f[0][0], parse_number(f[1].substr(0, colon)), parse_number(f[1].substr(colon + 1))};
    out.state.exceptions[k] |= *access;
  }
  return out;
}

std::vector<std::pair<bool, std::string>> device_transition(const ListedDevices& from,
                                                            const DeviceState& to) {
  std::vector<std::pair<bool, std::string>> out;
  // An exception is written to the file of the verdict it gives.
  const bool exception_file = !to.default_allow;
  if (from.exceptions_unknown || from.state.default_allow != to.default_allow) {
    out.push_back({to.default_allow, "a"});
    for (const auto& [k, bits] : to.exceptions)
      out.push_back({exception_file, key_string(k, bits)});
    return out;
  }
  auto bits_of = [](const DeviceState& s, const DeviceKey& k) {
    auto it = s.exceptions.find(k);
    return it == s.exceptions.end() ? 0u : it->second;
  };
  for (const auto& [k, bits] : to.exceptions)
    if (unsigned gained = bits & ~bits_of(from.state, k))
      out.push_back({exception_file, key_string(k, gained)});
  for (const auto& [k, bits] : from.state.exceptions)
    if (unsigned dropped = bits & ~bits_of(to, k))
      out.push_back({!exception_file, key_string(k, dropped)});
  return out;
}

}  // namespace vsrv::cgroups
