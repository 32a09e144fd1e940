// Device cgroup rules without a kernel: the state a rule list leaves (last
// matching rule wins, as the v1 controller keeps it), the rules it cannot
// express, devices.list and the v1 writes from one state to another, and the
// decisions of the generated BPF program, run here by a small interpreter of
// the instructions it uses and compared with DeviceState::allows.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/devices.hpp"

using namespace vsrv::cgroups;

namespace {

DeviceRule allow(char type, std::optional<uint32_t> major, std::optional<uint32_t> minor,
                 const std::string& access) {
  return {true, type, major, minor, *parse_access(access)};
}
DeviceRule deny(char type, std::optional<uint32_t> major, std::optional<uint32_t> minor,
                const std::string& access) {
  return {false, type, major, minor, *parse_access(access)};
}
DeviceRule deny_all() {
  return {false, 'a', std::nullopt, std::nullopt, kDevAll};
}

unsigned bits(const std::string& access) {
  return *parse_access(access);
}

// Runs a device program on one access: the subset of eBPF device_program
// emits (32-bit loads from the context, 32-bit mov/and/rsh, 64-bit mov of an
// immediate, jne/jeq against an immediate, exit).
int run_program(const std::vector<struct bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
                unsigned access) {
  struct bpf_cgroup_dev_ctx ctx = {};
  ctx.access_type = (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx.major = major;
  ctx.minor = minor;
  uint64_t reg[11] = {};
  size_t pc = 0;
  for (int steps = 0; steps < 10000; ++steps) {
    REQUIRE(pc < prog.size());
    const struct bpf_insn& i = prog[pc++];
    const uint8_t cls = BPF_CLASS(i.code);
    if (i.code == (BPF_LDX | BPF_MEM | BPF_W)) {
      REQUIRE(i.src_reg == BPF_REG_1);
      REQUIRE(i.off >= 0);
      REQUIRE(static_cast<size_t>(i.off) + 4 <= sizeof ctx);
      uint32_t v;
      std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
      reg[i.dst_reg] = v;
    } else if (cls == BPF_ALU) {
      uint32_t src = BPF_SRC(i.code) == BPF_X ? static_cast<uint32_t>(reg[i.src_reg])
                                              : static_cast<uint32_t>(i.imm);
      uint32_t dst = static_cast<uint32_t>(reg[i.dst_reg]);
      switch (BPF_OP(i.code)) {
        case BPF_MOV:
          dst = src;
          break;
        case BPF_AND:
          dst &= src;
          break;
        case BPF_RSH:
          dst >>= src;
          break;
        default:
          FAIL("unexpected ALU op " << int(i.code));
      }
      reg[i.dst_reg] = dst;  // 32-bit operations zero the upper half
    } else if (i.code == (BPF_ALU64 | BPF_MOV | BPF_K)) {
      reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    } else if (i.code == (BPF_JMP | BPF_EXIT)) {
      return static_cast<int>(reg[BPF_REG_0]);
    } else if (cls == BPF_JMP && BPF_SRC(i.code) == BPF_K) {
      const uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
      bool jump = false;
      switch (BPF_OP(i.code)) {
        case BPF_JNE:
          jump = reg[i.dst_reg] != imm;
          break;
        case BPF_JEQ:
          jump = reg[i.dst_reg] == imm;
          break;
        default:
          FAIL("unexpected jump op " << int(i.code));
      }
      REQUIRE(i.off >= 0);  // forward only: the verifier refuses loops
      if (jump) pc += static_cast<size_t>(i.off);
    } else {
      FAIL("unexpected instruction " << int(i.code));
    }
  }
  FAIL("program did not exit");
  return -1;
}

// Every access to a set of devices around the rules' numbers, decided by the
// program and by the model: they must agree.
void check_program_agrees(const DeviceState& s) {
  const auto prog = device_program(s);
  CHECK(prog.size() < 4096);
  int decisions = 0;
  for (char type : {'b', 'c'})
    for (uint32_t major : {0u, 1u, 5u, 7u, 10u, 136u, 4095u})
      for (uint32_t minor : {0u, 1u, 2u, 3u, 5u, 7u, 9u, 183u, 200u, 1048575u})
        for (unsigned access = 1; access <= kDevAll; ++access) {
          INFO(type << " " << major << ":" << minor << " " << access_string(access));
          CHECK(run_program(prog, type, major, minor, access) ==
                (s.allows(type, major, minor, access) ? 1 : 0));
          ++decisions;
        }
  CHECK(decisions == 2 * 7 * 10 * 7);
}

}  // namespace

TEST_CASE("access strings", "[cgroups][devices]") {
  CHECK(parse_access("rwm") == kDevAll);
  CHECK(parse_access("mr") == (kDevMknod | kDevRead));
  CHECK(parse_access("w") == kDevWrite);
  CHECK_FALSE(parse_access(""));
  CHECK_FALSE(parse_access("rx"));
  CHECK_FALSE(parse_access("RW"));
  CHECK(access_string(kDevAll) == "rwm");
  CHECK(access_string(kDevMknod | kDevWrite) == "wm");
  CHECK(rule_string(allow('c', 10, 183, "rw")) == "c 10:183 rw");
  CHECK(rule_string(allow('b', std::nullopt, std::nullopt, "m")) == "b *:* m");
  CHECK(rule_string(deny_all()) == "a *:* rwm");
}

TEST_CASE("the default rules: the standard devices, mknod of any node", "[cgroups][devices]") {
  const DeviceState s = device_state(default_device_rules());
  CHECK_FALSE(s.default_allow);
  CHECK(s.exceptions.size() == 10);
  for (uint32_t minor : {3u, 5u, 7u, 8u, 9u}) CHECK(s.allows('c', 1, minor, bits("rw")));
  CHECK(s.allows('c', 5, 0, bits("rw")));    // tty
  CHECK(s.allows('c', 5, 2, bits("rw")));    // ptmx
  CHECK(s.allows('c', 136, 7, bits("rw")));  // pts/7
  CHECK(s.allows('c', 10, 183, bits("m")));  // mknod of anything...
  CHECK(s.allows('b', 7, 0, bits("m")));
  CHECK_FALSE(s.allows('c', 10, 183, bits("r")));  // ...but no open
  CHECK_FALSE(s.allows('c', 10, 183, bits("rw")));
  CHECK_FALSE(s.allows('b', 7, 0, bits("r")));
  CHECK_FALSE(s.allows('b', 8, 0, bits("w")));
  CHECK_FALSE(s.allows('c', 1, 1, bits("r")));  // /dev/mem
  CHECK(s.allows('c', 1, 3, bits("rwm")));
  CHECK_FALSE(s.allows('c', 5, 1, bits("rw")));  // console is not among them
  check_program_agrees(s);
}

TEST_CASE("the last matching rule wins", "[cgroups][devices]") {
  auto rules = default_device_rules();
  SECTION("an allow after the defaults") {
    rules.push_back(allow('c', 10, 183, "rw"));
    const DeviceState s = device_state(rules);
    CHECK(s.allows('c', 10, 183, bits("r")));
    CHECK(s.allows('c', 10, 183, bits("rw")));
    CHECK(s.allows('c', 10, 183, bits("m")));  // from c *:* m
    CHECK_FALSE(s.allows('c', 10, 184, bits("r")));
    check_program_agrees(s);
  }
  SECTION("a deny of a default device, access by access") {
    rules.push_back(deny('c', 1, 7, "w"));
    const DeviceState s = device_state(rules);
    CHECK(s.allows('c', 1, 7, bits("r")));
    CHECK_FALSE(s.allows('c', 1, 7, bits("w")));
    CHECK_FALSE(s.allows('c', 1, 7, bits("rw")));
    CHECK(s.allows('c', 1, 7, bits("m")));  // c 1:7 keeps m
    check_program_agrees(s);
  }
  SECTION("a wide deny takes access out of every narrower allow") {
    rules.push_back(allow('c', 10, 183, "rw"));
    rules.push_back(allow('c', 10, 200, "rwm"));
    rules.push_back(deny('c', 10, std::nullopt, "w"));
    const DeviceState s = device_state(rules);
    CHECK(s.allows('c', 10, 183, bits("r")));
    CHECK_FALSE(s.allows('c', 10, 183, bits("w")));
    CHECK_FALSE(s.allows('c', 10, 200, bits("rw")));
    CHECK(s.allows('c', 10, 200, bits("r")));
    check_program_agrees(s);
  }
  SECTION("an allow after a deny of the same device") {
    rules.push_back(deny('c', 1, 3, "rw"));
    rules.push_back(allow('c', 1, 3, "r"));
    const DeviceState s = device_state(rules);
    CHECK(s.allows('c', 1, 3, bits("r")));
    CHECK_FALSE(s.allows('c', 1, 3, bits("w")));
  }
  SECTION("allow all: an allow-default state with deny exceptions") {
    rules.push_back({true, 'a', std::nullopt, std::nullopt, kDevAll});
    rules.push_back(deny('b', 8, std::nullopt, "w"));
    rules.push_back(deny('c', 10, 183, "rwm"));
    const DeviceState s = device_state(rules);
    CHECK(s.default_allow);
    CHECK(s.exceptions.size() == 2);
    CHECK(s.allows('c', 1, 1, bits("rw")));
    CHECK(s.allows('b', 8, 0, bits("r")));
    CHECK_FALSE(s.allows('b', 8, 0, bits("w")));
    CHECK_FALSE(s.allows('b', 8, 0, bits("rw")));  // any bit denied is enough
    CHECK_FALSE(s.allows('c', 10, 183, bits("m")));
    check_program_agrees(s);
  }
  SECTION("no rules: everything allowed, an empty program") {
    const DeviceState s = device_state({});
    CHECK(s.default_allow);
    CHECK(s.allows('b', 8, 0, bits("rwm")));
    check_program_agrees(s);
  }
  SECTION("deny all and nothing else") {
    const DeviceState s = device_state({deny_all()});
    CHECK_FALSE(s.allows('c', 1, 3, bits("r")));
    check_program_agrees(s);
  }
  SECTION("exceptions of the same device merge") {
    rules.push_back(allow('b', 7, 0, "r"));
    rules.push_back(allow('b', 7, 0, "w"));
    const DeviceState s = device_state(rules);
    CHECK(s.allows('b', 7, 0, bits("rw")));
    check_program_agrees(s);
  }
}

TEST_CASE("rules the device cgroup cannot express are errors", "[cgroups][devices]") {
  auto rules = default_device_rules();
  // c *:* m allows mknod of 10:183: v1 cannot take m out of it for one device.
  rules.push_back(deny('c', 10, 183, "m"));
  CHECK_THROWS_WITH(device_state(rules),
                    "cannot deny \"c 10:183 m\" while \"c *:* m\" allows it: the device cgroup "
                    "keeps whole rules and cannot cut a hole in a wider one");
  rules.back() = deny('c', 10, 183, "rw");  // no overlap with m: fine
  CHECK_NOTHROW(device_state(rules));
  // Crossing wildcards: 136:* and *:2 overlap in 136:2.
  rules.back() = deny('c', std::nullopt, 2, "r");
  CHECK_THROWS_WITH(device_state(rules),
                    "cannot deny \"c *:2 r\" while \"c 136:* rwm\" allows it: the device cgroup "
                    "keeps whole rules and cannot cut a hole in a wider one");
  // In allow-default mode the same holds for allows inside a wide deny.
  std::vector<DeviceRule> open = {{true, 'a', std::nullopt, std::nullopt, kDevAll},
                                  deny('b', std::nullopt, std::nullopt, "w"),
                                  allow('b', 7, 0, "w")};
  CHECK_THROWS_WITH(device_state(open),
                    "cannot allow \"b 7:0 w\" while \"b *:* w\" denies it: the device cgroup "
                    "keeps whole rules and cannot cut a hole in a wider one");
}

TEST_CASE("devices.list", "[cgroups][devices]") {
  ListedDevices all = parse_devices_list("a *:* rwm\n");
  CHECK(all.exceptions_unknown);
  CHECK(all.state.default_allow);
  ListedDevices some = parse_devices_list("c 1:3 rwm\nc *:* m\nb 7:* r\nc 1:3 w\n");
  CHECK_FALSE(some.exceptions_unknown);
  CHECK_FALSE(some.state.default_allow);
  CHECK(some.state.exceptions.size() == 3);
  CHECK(some.state.exceptions.at({'c', 1, 3}) == kDevAll);
  CHECK(some.state.exceptions.at({'b', 7, std::nullopt}) == kDevRead);
  ListedDevices none = parse_devices_list("");
  CHECK_FALSE(none.state.default_allow);
  CHECK(none.state.exceptions.empty());
  CHECK_THROWS_AS(parse_devices_list("x 1:3 rwm\n"), vsrv::Error);
  CHECK_THROWS_AS(parse_devices_list("c 1-3 rwm\n"), vsrv::Error);
  CHECK_THROWS_AS(parse_devices_list("c 1:3 rwx\n"), vsrv::Error);
}

TEST_CASE("v1 writes from one state to another", "[cgroups][devices]") {
  using Writes = std::vector<std::pair<bool, std::string>>;
  const DeviceState defaults = device_state(default_device_rules());
  SECTION("a new cgroup (allow all) is reset, then every exception allowed") {
    Writes w = device_transition(parse_devices_list("a *:* rwm\n"), defaults);
    REQUIRE(w.size() == 11);
    CHECK(w[0] == std::make_pair(false, std::string("a")));
    for (size_t i = 1; i < w.size(); ++i) CHECK(w[i].first);
    CHECK(std::find(w.begin(), w.end(), std::make_pair(true, std::string("c 136:* rwm"))) !=
          w.end());
    CHECK(std::find(w.begin(), w.end(), std::make_pair(true, std::string("c *:* m"))) != w.end());
  }
  SECTION("an update: what is gained first, then what is lost, no reset") {
    auto rules = default_device_rules();
    rules.push_back(allow('c', 10, 183, "rw"));
    rules.push_back(deny('c', 1, 7, "w"));
    ListedDevices now{defaults, false};
    Writes w = device_transition(now, device_state(rules));
    CHECK(w == Writes{{true, "c 10:183 rw"}, {false, "c 1:7 w"}});
    // And back.
    ListedDevices later{device_state(rules), false};
    CHECK(device_transition(later, defaults) == Writes{{true, "c 1:7 w"}, {false, "c 10:183 rw"}});
    CHECK(device_transition(now, defaults).empty());
  }
  SECTION("to allow all: a reset, then the deny exceptions") {
    std::vector<DeviceRule> open = {{true, 'a', std::nullopt, std::nullopt, kDevAll},
                                    deny('c', 10, 183, "rw")};
    Writes w = device_transition(ListedDevices{defaults, false}, device_state(open));
    CHECK(w == Writes{{true, "a"}, {false, "c 10:183 rw"}});
  }
}
