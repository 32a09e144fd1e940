// Compiling seccomp profiles to BPF, and the canonical text the runtime's
// cache is keyed by: equal exactly when the profiles are equal.
#include <linux/seccomp.h>
#include <seccomp.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/seccomp_program.hpp"

using namespace vsrv::isolation;

namespace {

Seccomp small_profile() {
  Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  SeccompRule rule;
  rule.names = {"mkdir", "mkdirat"};
  rule.action = "SCMP_ACT_ERRNO";
  rule.errno_ret = 13;
  rule.args = {SeccompArg{1, 0700, 0, "SCMP_CMP_EQ"}};
  p.syscalls.push_back(rule);
  return p;
}

bool same_filter(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.filter.size() == b.filter.size() &&
         std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

}  // namespace

TEST_CASE("the canonical text is the same for equal profiles and differs for any change") {
  const Seccomp base = small_profile();
  const std::string text = seccomp_canonical(base);
  CHECK(seccomp_canonical(small_profile()) == text);

  const std::vector<std::function<void(Seccomp&)>> changes = {
      [](Seccomp& p) { p.default_action = "SCMP_ACT_LOG"; },
      [](Seccomp& p) { p.default_errno_ret = 1; },
      [](Seccomp& p) { p.architectures.pop_back(); },
      [](Seccomp& p) { std::swap(p.architectures[0], p.architectures[1]); },
      [](Seccomp& p) { p.flags = {"SECCOMP_FILTER_FLAG_LOG"}; },
      [](Seccomp& p) { p.syscalls[0].action = "SCMP_ACT_KILL"; },
      [](Seccomp& p) { p.syscalls[0].errno_ret.reset(); },
      [](Seccomp& p) { p.syscalls[0].errno_ret = 1; },
      [](Seccomp& p) { p.syscalls[0].names.pop_back(); },
      [](Seccomp& p) { p.syscalls[0].args[0].index = 2; },
      [](Seccomp& p) { p.syscalls[0].args[0].value = 0755; },
      [](Seccomp& p) { p.syscalls[0].args[0].value_two = 1; },
      [](Seccomp& p) { p.syscalls[0].args[0].op = "SCMP_CMP_NE"; },
      [](Seccomp& p) { p.syscalls[0].args.clear(); },
      [](Seccomp& p) { p.syscalls.push_back(p.syscalls[0]); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    INFO("change " << i);
    Seccomp changed = base;
    changes[i](changed);
    CHECK(seccomp_canonical(changed) != text);
  }
}

TEST_CASE("the canonical text cannot be forged by moving characters between strings") {
  Seccomp a = small_profile(), b = small_profile();
  a.syscalls[0].names = {"ab", "c"};
  b.syscalls[0].names = {"a", "bc"};
  CHECK(seccomp_canonical(a) != seccomp_canonical(b));
  a.syscalls[0].names = {"x y", "z"};
  b.syscalls[0].names = {"x", "y z"};
  CHECK(seccomp_canonical(a) != seccomp_canonical(b));
  // A rule's text cannot pass for two rules.
  Seccomp one = small_profile(), two = small_profile();
  two.syscalls[0].names = {"mkdir"};
  SeccompRule second = two.syscalls[0];
  second.names = {"mkdirat"};
  two.syscalls.push_back(second);
  CHECK(seccomp_canonical(one) != seccomp_canonical(two));
}

TEST_CASE("the canonical text names what the BPF depends on besides the profile") {
  const std::string text = seccomp_canonical(small_profile());
  const scmp_version* v = seccomp_version();
  const std::string version =
      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  CHECK(text.find(version) != std::string::npos);
  CHECK(text.rfind("vsrv-seccomp 1 ", 0) == 0);
}

TEST_CASE("compile_seccomp is deterministic and maps the OCI flags") {
  Seccomp p = small_profile();
  SeccompProgram a = compile_seccomp(p), b = compile_seccomp(p);
  REQUIRE(!a.filter.empty());
  CHECK(same_filter(a, b));
  CHECK(a.flags == 0);

  // A different rule compiles to a different program.
  Seccomp other = p;
  other.syscalls[0].errno_ret = 1;
  CHECK_FALSE(same_filter(compile_seccomp(other), a));

  p.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  SeccompProgram flagged = compile_seccomp(p);
  CHECK(flagged.flags ==
        (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  // Flags are load-time options: the instructions are the same.
  CHECK(flagged.filter.size() == a.filter.size());
}

TEST_CASE("compile_seccomp refuses what it cannot express, naming it") {
  Seccomp p = small_profile();
  p.flags = {"SECCOMP_FILTER_FLAG_NEW_LISTENER"};
  CHECK_THROWS_WITH(compile_seccomp(p), Catch::Contains("SECCOMP_FILTER_FLAG_NEW_LISTENER"));
  p = small_profile();
  p.syscalls[0].action = "SCMP_ACT_NOTIFY";
  CHECK_THROWS_WITH(compile_seccomp(p), Catch::Contains("SCMP_ACT_NOTIFY"));
  p = small_profile();
  p.architectures = {"SCMP_ARCH_VAX"};
  CHECK_THROWS_WITH(compile_seccomp(p), Catch::Contains("SCMP_ARCH_VAX"));
}

TEST_CASE("the default profile compiles to a loadable program") {
  SeccompProgram p = compile_seccomp(default_seccomp());
  CHECK(p.filter.size() > 10);
  CHECK(p.filter.size() <= BPF_MAXINSNS);
}
