// Device cgroup rules (OCI linux.resources.devices) and what a list of them
// leaves, computed as the cgroup v1 device controller keeps it. Both backends
// enforce that one state: v1 writes it to devices.allow/deny, v2 compiles it
// into a BPF_PROG_TYPE_CGROUP_DEVICE program (device_program).
#pragma once

#include <linux/bpf.h>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vsrv::cgroups {

// Access bits, encoded as in the kernel's struct bpf_cgroup_dev_ctx.
inline constexpr unsigned kDevMknod = BPF_DEVCG_ACC_MKNOD;  // m
inline constexpr unsigned kDevRead = BPF_DEVCG_ACC_READ;    // r
inline constexpr unsigned kDevWrite = BPF_DEVCG_ACC_WRITE;  // w
inline constexpr unsigned kDevAll = kDevMknod | kDevRead | kDevWrite;

struct DeviceRule {
  bool allow = false;
  char type = 'a';                // 'a' (every device), 'b' (block), 'c' (char)
  std::optional<uint32_t> major;  // empty: any (*)
  std::optional<uint32_t> minor;
  unsigned access = kDevAll;  // kDev* bits, never 0
};

// "rwm" <-> bits; parse_access is empty for anything but a non-empty
// combination of r, w and m.
std::string access_string(unsigned access);
std::optional<unsigned> parse_access(const std::string& text);
// As the v1 files spell it: "c 10:183 rw", "a *:* rwm".
std::string rule_string(const DeviceRule& rule);

// Deny every device, then allow runc's defaults: mknod of any char or block
// device, and null, zero, full, random, urandom, tty, ptmx and the pty
// slaves (136:*) for reading and writing.
std::vector<DeviceRule> default_device_rules();

// One exception's device: type 'b' or 'c', empty major/minor = any.
struct DeviceKey {
  char type = 'c';
  std::optional<uint32_t> major;
  std::optional<uint32_t> minor;
  auto operator<=>(const DeviceKey&) const = default;
};

// The state of a device cgroup: a default and exceptions to it (the allowed
// devices when the default is deny, the denied ones when it is allow), each
// device key once with its access bits. A new cgroup allows everything.
struct DeviceState {
  bool default_allow = true;
  std::map<DeviceKey, unsigned> exceptions;

  // Applies one rule on top of the state: the last rule that matches a device
  // decides. Type 'a' resets the state to allow or deny all. Throws
  // vsrv::Error (the reason alone, without a field) for a rule the device
  // cgroup cannot express: taking access out of a narrower device than a
  // wildcard exception grants it to (e.g. deny c 1:3 m under c *:* m), as the
  // kernel would silently keep the wildcard.
  void apply(const DeviceRule& rule);

  // The kernel's verdict on an access to one device (type 'b' or 'c'): in
  // deny-default mode one exception must grant every bit asked for, in
  // allow-default mode no exception may deny any of them.
  bool allows(char type, uint32_t major, uint32_t minor, unsigned access) const;

  bool operator==(const DeviceState&) const = default;
};

// The state the rules leave, starting from a new cgroup's (allow all).
DeviceState device_state(const std::vector<DeviceRule>& rules);

// cgroup v1: the state a devices.list shows ("a *:* rwm" alone in
// allow-default mode, whose deny exceptions the file does not show: such a
// state is returned without exceptions and marked unknown). Throws
// vsrv::Error on a line it cannot read.
struct ListedDevices {
  DeviceState state;
  bool exceptions_unknown = false;
};
ListedDevices parse_devices_list(const std::string& text);

// cgroup v1: the writes that turn the state `from` into `to`, in order; each
// is (true: devices.allow, false: devices.deny; the line). When the defaults
// differ (or from's exceptions are unknown) it starts with a reset ("a" to
// devices.deny or devices.allow) followed by every exception of `to`;
// otherwise only what changes, access granted before access taken (in
// deny-default mode), so that nothing to keep is ever denied in between.
std::vector<std::pair<bool, std::string>> device_transition(const ListedDevices& from,
                                                            const DeviceState& to);

// cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program that returns 1 (allow)
// exactly when state.allows() is true for the device and access in its
// context: one block per exception, then the default.
std::vector<struct bpf_insn> device_program(const DeviceState& state);

}  // namespace vsrv::cgroups
