// Inheritable and ambient capabilities are empty in a server unless its spec
// asks for them (CVE-2022-29162: runc once gave every process a full
// inheritable set), whatever sets the caller of vsrv holds.
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "harness_vsrv.hpp"

using vsrv::test::kTemplate;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::VsrvHarness;

namespace {

const char* kShowCaps = "grep -E '^Cap(Inh|Amb|Bnd|Eff|Prm):' /proc/self/status";

// "CapInh" etc. from the output of kShowCaps.
unsigned long long cap_field(const std::string& out, const std::string& key) {
  auto pos = out.find(key + ":");
  if (pos == std::string::npos) throw std::runtime_error("no " + key + " in: " + out);
  return std::stoull(out.substr(pos + key.size() + 1), nullptr, 16);
}

// The classic 14 of the default spec.
unsigned long long default_set() {
  unsigned long long set = 0;
  for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
                  CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
                  CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE})
    set |= 1ULL << cap;
  return set;
}

// For its lifetime, the test process (and so every vsrv it starts) holds a
// full inheritable set and ambient CAP_SYS_ADMIN and CAP_NET_ADMIN.
class GenerousCaller {
 public:
  GenerousCaller() : saved_(cap_get_proc()) {
    if (!saved_) throw std::runtime_error("cap_get_proc");
    cap_t caps = cap_dup(saved_);
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
      cap_flag_value_t permitted;
      cap_value_t v = cap;
      if (cap_get_flag(caps, v, CAP_PERMITTED, &permitted) == 0 && permitted == CAP_SET)
        cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    int rc = cap_set_proc(caps);
    cap_free(caps);
    if (rc < 0) throw std::runtime_error("cap_set_proc");
    for (int cap : {CAP_SYS_ADMIN, CAP_NET_ADMIN}) {
      if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        throw std::runtime_error("raise ambient capability");
    }
  }
  ~GenerousCaller() {
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    cap_set_proc(saved_);
    cap_free(saved_);
  }
  GenerousCaller(const GenerousCaller&) = delete;
  GenerousCaller& operator=(const GenerousCaller&) = delete;

 private:
  cap_t saved_;
};

void check_default_caps(const Result& r) {
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(cap_field(r.out, "CapInh") == 0);
  CHECK(cap_field(r.out, "CapAmb") == 0);
  CHECK(cap_field(r.out, "CapEff") == default_set());
  CHECK(cap_field(r.out, "CapPrm") == default_set());
  CHECK(cap_field(r.out, "CapBnd") == default_set());
}

}  // namespace

TEST_CASE("the default spec gives no inheritable or ambient capability", "[security][caps]") {
  VsrvHarness h;
  check_default_caps(h.vsrv({"run", "--template", kTemplate, "--rm", "-f",
                             h.write_spec(sh_spec(kShowCaps)), h.new_id("cap")}));
  const std::string id = h.new_id("capx");
  h.run_detached(id, sh_spec("sleep 100"));
  check_default_caps(h.vsrv({"exec", id, "--", "sh", "-c", kShowCaps}));
}

TEST_CASE("a caller's inheritable and ambient sets do not reach a server", "[security][caps]") {
  VsrvHarness h;
  const std::string id = h.new_id("capg");
  GenerousCaller generous;
  // The caller really holds them (so the server's zero is vsrv's doing).
  Result self = vsrv::test::run({"/bin/sh", "-c", kShowCaps});
  REQUIRE(cap_field(self.out, "CapInh") != 0);
  REQUIRE((cap_field(self.out, "CapAmb") & (1ULL << CAP_SYS_ADMIN)) != 0);

  check_default_caps(h.vsrv({"run", "--template", kTemplate, "--rm", "-f",
                             h.write_spec(sh_spec(kShowCaps)), h.new_id("capr")}));
  h.run_detached(id, sh_spec("sleep 100"));
  check_default_caps(h.vsrv({"exec", id, "--", "sh", "-c", kShowCaps}));
}

TEST_CASE("inheritable and ambient capabilities are given when the spec asks", "[security][caps]") {
  VsrvHarness h;
  const std::string caps =
      "  capabilities:\n"
      "    bounding: [CAP_CHOWN, CAP_KILL]\n"
      "    effective: [CAP_CHOWN, CAP_KILL]\n"
      "    permitted: [CAP_CHOWN, CAP_KILL]\n"
      "    inheritable: [CAP_CHOWN, CAP_KILL]\n"
      "    ambient: [CAP_KILL]\n";
  const std::string spec =
      std::string("process:\n  args: [sh, -c, \"") + kShowCaps + "\"]\n  terminal: false\n" + caps;
  Result r =
      h.vsrv({"run", "--template", kTemplate, "--rm", "-f", h.write_spec(spec), h.new_id("capa")});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(cap_field(r.out, "CapInh") == ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL)));
  CHECK(cap_field(r.out, "CapAmb") == (1ULL << CAP_KILL));
}
