// A virtual server's life: stop with its own halt signal (then KILL), a
// reboot from inside that restarts it (restart: on-reboot), halt that does
// not, restart: always, and `start --all-onboot` after a stop or a host boot;
// with a plain shell init and with busybox init (/sbin/init of the busybox
// template: SIGUSR1 halts it, `reboot` inside restarts the server).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::now_ms;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::sleep_ms;
using vsrv::test::VsrvHarness;

namespace {

// A server running `sh -c script` that may reboot itself: the default
// capabilities plus CAP_SYS_BOOT, and a seccomp profile that lets reboot(2)
// through. vsrv_fields go into its vsrv: section.
std::string may_reboot(const std::string& script, const std::string& vsrv_fields) {
  const std::string caps =
      "[CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, "
      "CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, "
      "CAP_AUDIT_WRITE, CAP_SYS_BOOT]";
  return "process:\n  terminal: false\n  args: [sh, -c, " + vsrv::test::yaml_quote(script) +
         "]\n  capabilities: {bounding: " + caps + ", effective: " + caps + ", permitted: " + caps +
         "}\nlinux: {seccomp: {defaultAction: SCMP_ACT_ALLOW}}\nvsrv: {" + vsrv_fields + "}\n";
}

// Appends a line to /boots on every start; the first boot runs `first`.
std::string booting(const std::string& first) {
  return "echo boot >> /boots; if [ $(wc -l < /boots) -lt 2 ]; then " + first +
         "; fi; exec sleep 1000";
}

int lines_in(const std::string& path) {
  auto text = vsrv::try_read_file(path);
  if (!text) return 0;
  return static_cast<int>(vsrv::test::lines_of(*text).size());
}

bool wait_lines(const std::string& path, int n, int timeout_ms) {
  for (long long end = now_ms() + timeout_ms; now_ms() < end; sleep_ms(20))
    if (lines_in(path) >= n) return true;
  return lines_in(path) >= n;
}

std::string upper(const VsrvHarness& h, const std::string& id) {
  return h.data() + "/servers/" + id + "/upper";
}

// A template for busybox init servers: the busybox template (its inittab
// runs /etc/init.d/rcS at boot, rcK at shutdown) plus a service script
// that records each boot in /boots and each shutdown in /halts, and hangs
// at shutdown when /hang exists. Made once per test process with
// `template add`.
std::string init_template(const VsrvHarness& h) {
  static const std::string name = [&] {
    const std::string name = "bbinit" + std::to_string(::getpid());
    vsrv::test::TempDir src;
    const std::string bb = h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs";
    REQUIRE(vsrv::test::run({"/bin/cp", "-a", bb + "/.", src.path()}).status == 0);
    vsrv::write_file_atomic(src.path() + "/etc/init.d/S50test",
                            "#!/bin/sh\n"
                            "case \"$1\" in\n"
                            "start) echo boot >> /boots ;;\n"
                            "stop) echo halt >> /halts; if [ -e /hang ]; then sleep 1000; fi ;;\n"
                            "esac\n",
                            0755);
    Result r = h.vsrv({"template", "add", name, "--dir", src.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    return name;
  }();
  return name;
}

// A busybox init server (process /sbin/init) halted by SIGUSR1; with
// may_reboot, it has CAP_SYS_BOOT and seccomp lets reboot(2) through.
std::string run_init(VsrvHarness& h, const std::string& vsrv_fields, bool may_reboot) {
  std::string spec = "process:\n  args: [/sbin/init]\n  terminal: false\n";
  if (may_reboot) {
    const std::string caps =
        "[CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, "
        "CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, "
        "CAP_KILL, CAP_AUDIT_WRITE, CAP_SYS_BOOT]";
    spec += "  capabilities: {bounding: " + caps + ", effective: " + caps + ", permitted: " + caps +
            "}\nlinux: {seccomp: {defaultAction: SCMP_ACT_ALLOW}}\n";
  }
  spec += "vsrv: {stopSignal: SIGUSR1" + (vsrv_fields.empty() ? "" : ", " + vsrv_fields) + "}\n";
  std::string id = h.new_id("init");
  Result r = h.vsrv({"run", "-d", "--template", init_template(h), "-f", h.write_spec(spec), id});
  INFO("run -d " << id << ": " << r.err);
  REQUIRE(r.status == 0);
  // Booted: rcS ran the service script.
  REQUIRE(wait_lines(upper(h, id) + "/boots", 1, 5000));
  Result ps = h.vsrv({"exec", id, "--", "cat", "/proc/1/comm"});
  CHECK(ps.out == "init\n");
  return id;
}

std::string console(const VsrvHarness& h, const std::string& id) {
  return vsrv::try_read_file(h.data() + "/servers/" + id + "/console.log").value_or("");
}

}  // namespace

TEST_CASE("stop sends vsrv.stopSignal, then KILL after the timeout", "[vserver][stop]") {
  VsrvHarness h;
  SECTION("an init that halts on its signal") {
    std::string id = h.new_id("halt");
    h.run_detached(id, sh_spec("trap 'echo halted > /halted; exit 7' USR1; "
                               "while true; do sleep 0.1; done",
                               "vsrv: {stopSignal: SIGUSR1}\n"));
    CHECK(h.state_file(id).at("stopSignal") == SIGUSR1);
    long long t0 = now_ms();
    Result r = h.vsrv({"stop", "-t", "10", id});
    CHECK(r.status == 0);
    CHECK(now_ms() - t0 < 5000);
    CHECK(h.status(id) == "stopped");
    CHECK(h.state(id).at("exitStatus") == 7);
    CHECK(vsrv::read_file(upper(h, id) + "/halted") == "halted\n");
  }
  SECTION("an init that ignores it is killed after the timeout") {
    std::string id = h.new_id("deaf");
    h.run_detached(id, sh_spec("while true; do sleep 0.1; done", "vsrv: {stopSignal: SIGUSR2}\n"));
    long long t0 = now_ms();
    CHECK(h.vsrv({"stop", "-t", "1", id}).status == 0);
    long long took = now_ms() - t0;
    CHECK(took >= 1000);
    CHECK(took < 5000);
    CHECK(h.state(id).at("exitStatus") == 137);
  }
}

TEST_CASE("busybox init halts on its stop signal, or is killed after the timeout",
          "[vserver][stop][init]") {
  VsrvHarness h;
  SECTION("SIGUSR1: busybox init runs its shutdown scripts and exits") {
    std::string id = run_init(h, "", false);
    long long t0 = now_ms();
    Result r = h.vsrv({"stop", "-t", "20", id});
    long long took = now_ms() - t0;
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(took < 15000);  // busybox init sleeps ~3 s while halting; not the timeout
    CHECK(h.status(id) == "stopped");
    // It exited by itself (reboot(2) is denied by the default seccomp
    // profile, so busybox init exits 0), it was not killed.
    CHECK(h.state(id).at("exitStatus") == 0);
    CHECK(lines_in(upper(h, id) + "/halts") == 1);
    std::string log = console(h, id);
    INFO(log);
    CHECK(log.find("The system is going down NOW!") != std::string::npos);
    CHECK(log.find("Requesting system halt") != std::string::npos);
  }
  SECTION("a shutdown that hangs: KILL after -t") {
    std::string id = run_init(h, "", false);
    REQUIRE(h.vsrv({"exec", id, "--", "touch", "/hang"}).status == 0);
    long long t0 = now_ms();
    CHECK(h.vsrv({"stop", "-t", "1", id}).status == 0);
    long long took = now_ms() - t0;
    CHECK(took >= 1000);
    CHECK(took < 5000);
    CHECK(h.status(id) == "stopped");
    CHECK(h.state(id).at("exitStatus") == 128 + SIGKILL);
    CHECK(lines_in(upper(h, id) + "/halts") == 1);  // the halt had begun
    CHECK(console(h, id).find("Requesting system halt") == std::string::npos);
  }
}

TEST_CASE("reboot inside a busybox init server restarts it with restart: on-reboot",
          "[vserver][restart][init]") {
  VsrvHarness h;
  SECTION("restart: on-reboot") {
    std::string id = run_init(h, "restart: on-reboot", true);
    const pid_t first = h.state(id).at("pid").get<pid_t>();
    Result r = h.vsrv({"exec", id, "--", "reboot"});
    CHECK(r.status == 0);
    // busybox init runs rcK, kills everything, sleeps ~2 s, reboots: the
    // monitor sees SIGHUP and starts the server again, which boots again.
    REQUIRE(wait_lines(upper(h, id) + "/boots", 2, 15000));
    CHECK(lines_in(upper(h, id) + "/halts") == 1);
    REQUIRE(h.wait_status(id, "running", 5000));
    const pid_t second = h.state(id).at("pid").get<pid_t>();
    CHECK(second != first);
    CHECK(h.state_file(id).at("restarts") == 1);
    CHECK(h.state(id).value("restarts", 0) == 1);
    Result list = h.vsrv({"list", "--format", "json"});
    REQUIRE(list.status == 0);
    for (const auto& s : nlohmann::json::parse(list.out))
      if (s.at("id") == id) CHECK(s.value("restarts", 0) == 1);
    CHECK(h.vsrv({"exec", id, "--", "cat", "/proc/1/comm"}).out == "init\n");
    std::string log = console(h, id);
    INFO(log);
    CHECK(log.find("Requesting system reboot") != std::string::npos);
    CHECK(log.find("rebooted") != std::string::npos);
    // A stop halts it for good.
    CHECK(h.vsrv({"stop", "-t", "20", id}).status == 0);
    sleep_ms(1500);
    CHECK(h.status(id) == "stopped");
    CHECK(lines_in(upper(h, id) + "/boots") == 2);
    CHECK(lines_in(upper(h, id) + "/halts") == 2);
  }
  SECTION("without the policy it stays stopped") {
    std::string id = run_init(h, "", true);
    CHECK(h.vsrv({"exec", id, "--", "reboot"}).status == 0);
    REQUIRE(h.wait_status(id, "stopped", 15000));
    CHECK(h.state(id).at("exitStatus") == 128 + SIGHUP);  // the kernel's word for a reboot
    sleep_ms(1500);
    CHECK(h.status(id) == "stopped");
    CHECK(lines_in(upper(h, id) + "/boots") == 1);
    CHECK(h.state_file(id).value("restarts", 0) == 0);
  }
}

TEST_CASE("a reboot from inside restarts the server with restart: on-reboot",
          "[vserver][restart]") {
  VsrvHarness h;
  std::string id = h.new_id("reboot");
  h.run_detached(id, may_reboot(booting("reboot -f"), "restart: on-reboot, disk: 32Mi"));
  // With a disk, the upper layer lives in the image: read /boots inside.
  auto boots = [&] {
    Result r = h.vsrv({"exec", id, "--", "cat", "/boots"});
    return r.status == 0 ? static_cast<int>(vsrv::test::lines_of(r.out).size()) : 0;
  };
  long long end = now_ms() + 8000;
  while (boots() < 2 && now_ms() < end) sleep_ms(50);
  REQUIRE(boots() == 2);
  CHECK(h.status(id) == "running");
  nlohmann::json st = h.state_file(id);
  CHECK(st.at("restarts") == 1);
  pid_t pid = h.state(id).at("pid").get<pid_t>();
  CHECK(vsrv::test::ns_link(pid, "pid") != vsrv::test::ns_link(::getpid(), "pid"));
  CHECK(vsrv::read_file(h.data() + "/servers/" + id + "/console.log").find("rebooted") !=
        std::string::npos);
  // A stop is a stop: no restart.
  CHECK(h.vsrv({"stop", "-t", "1", id}).status == 0);
  sleep_ms(1500);
  CHECK(h.status(id) == "stopped");
  CHECK(boots() == 0);  // not running, so nothing to exec into
}

TEST_CASE("reboot without the policy, and halt, stop the server", "[vserver][restart]") {
  VsrvHarness h;
  SECTION("restart: no") {
    std::string id = h.new_id("norestart");
    h.run_detached(id, may_reboot(booting("reboot -f"), "restart: 'no'"));
    REQUIRE(h.wait_status(id, "stopped", 5000));
    CHECK(h.state(id).at("exitStatus") == 128 + SIGHUP);
    CHECK(lines_in(upper(h, id) + "/boots") == 1);
  }
  SECTION("poweroff with restart: on-reboot") {
    std::string id = h.new_id("poweroff");
    h.run_detached(id, may_reboot(booting("poweroff -f"), "restart: on-reboot"));
    REQUIRE(h.wait_status(id, "stopped", 5000));
    CHECK(h.state(id).at("exitStatus") == 128 + SIGINT);
    sleep_ms(1200);
    CHECK(h.status(id) == "stopped");
    CHECK(lines_in(upper(h, id) + "/boots") == 1);
  }
}

TEST_CASE("restart: always starts an init that exits again, until stopped", "[vserver][restart]") {
  VsrvHarness h;
  std::string id = h.new_id("always");
  h.run_detached(id, sh_spec("echo run >> /runs; sleep 1; exit 3", "vsrv: {restart: always}\n"));
  const int monitor = h.state_file(id).at("monitorPid").get<int>();
  REQUIRE(wait_lines(upper(h, id) + "/runs", 2, 8000));
  REQUIRE(h.wait_status(id, "running", 3000));
  // The relaunched init is the child of the same monitor process, which is
  // the small vsrv-monitor again (not a copy of vsrv) between restarts.
  CHECK(h.state_file(id).at("monitorPid") == monitor);
  const std::string init = std::to_string(h.state(id).at("pid").get<int>());
  std::string stat = vsrv::read_file("/proc/" + init + "/stat");
  CHECK(vsrv::split(stat.substr(stat.rfind(')') + 2), ' ').at(1) == std::to_string(monitor));
  char exe[4096] = {};
  REQUIRE(::readlink(("/proc/" + std::to_string(monitor) + "/exe").c_str(), exe, 4095) > 0);
  CHECK(std::string(exe).substr(std::string(exe).rfind('/') + 1) == "vsrv-monitor");
  CHECK(h.vsrv({"stop", "-t", "1", id}).status == 0);
  int runs = lines_in(upper(h, id) + "/runs");
  sleep_ms(2500);
  CHECK(lines_in(upper(h, id) + "/runs") == runs);
  CHECK(h.status(id) == "stopped");
}

TEST_CASE("start --all-onboot brings back every onboot server", "[vserver][onboot]") {
  VsrvHarness h;
  const std::string marked = sh_spec("echo up >> /ups; exec sleep 1000", "vsrv: {onboot: true}\n");
  std::string created = h.new_id("created"), stopped = h.new_id("stopped"),
              rebooted = h.new_id("hostboot"), plain = h.new_id("plain"),
              running = h.new_id("running");
  REQUIRE(
      h.vsrv({"create", "--template", vsrv::test::kTemplate, "-f", h.write_spec(marked), created})
          .status == 0);
  h.run_detached(stopped, marked);
  h.run_detached(rebooted, marked);
  h.run_detached(running, marked);
  h.run_detached(plain, sh_spec("exec sleep 1000"));
  pid_t running_pid = h.state(running).at("pid").get<pid_t>();
  REQUIRE(h.vsrv({"stop", "-t", "0", stopped}).status == 0);
  REQUIRE(h.vsrv({"stop", "-t", "0", plain}).status == 0);
  // A host boot: the server's processes and cgroups are gone, and so is
  // --root (a tmpfs); its data is all that is left.
  nlohmann::json st = h.state_file(rebooted);
  REQUIRE(h.vsrv({"stop", "-t", "0", rebooted}).status == 0);
  for (const auto& dir : st.at("cgroupDirs")) ::rmdir(dir.get<std::string>().c_str());
  vsrv::remove_tree(h.root() + "/" + rebooted);
  REQUIRE(h.vsrv({"state", rebooted}).status == 2);

  Result r = h.vsrv({"start", "--all-onboot"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  for (const auto& id : {created, stopped, rebooted})
    CHECK(r.out.find(id + ": started\n") != std::string::npos);
  CHECK(r.out.find(running + ": running\n") != std::string::npos);
  CHECK(r.out.find(plain) == std::string::npos);

  for (const auto& id : {created, stopped, rebooted, running}) {
    INFO(id);
    CHECK(h.status(id) == "running");
  }
  CHECK(h.state(running).at("pid").get<pid_t>() == running_pid);
  CHECK(h.status(plain) == "stopped");
  // Their upper layers were kept: a second "up" line for those that ran before.
  CHECK(lines_in(upper(h, created) + "/ups") == 1);
  CHECK(lines_in(upper(h, stopped) + "/ups") == 2);
  CHECK(lines_in(upper(h, rebooted) + "/ups") == 2);

  // Deleted is gone for good; a second run changes nothing.
  REQUIRE(h.vsrv({"delete", "--force", stopped}).status == 0);
  Result again = h.vsrv({"start", "--all-onboot"});
  CHECK(again.status == 0);
  CHECK(again.out.find(stopped) == std::string::npos);
  CHECK(again.out.find(created + ": running\n") != std::string::npos);
  CHECK(h.traces(stopped).empty());
}

TEST_CASE("start takes an id or --all-onboot, not both", "[vserver][onboot]") {
  VsrvHarness h;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"start"}, {"start", "--all-onboot", "x"}}) {
    Result r = h.vsrv(args);
    CHECK(r.status == 1);
    CHECK(vsrv::test::one_error_line(r.err));
  }
}

TEST_CASE("delete removes the data of a server --root no longer knows", "[vserver][onboot]") {
  VsrvHarness h;
  std::string id = h.new_id("orphan");
  h.run_detached(id, sh_spec("exec sleep 1000", "vsrv: {onboot: true}\n"));
  nlohmann::json st = h.state_file(id);
  REQUIRE(h.vsrv({"stop", "-t", "0", id}).status == 0);
  for (const auto& dir : st.at("cgroupDirs")) ::rmdir(dir.get<std::string>().c_str());
  vsrv::remove_tree(h.root() + "/" + id);
  // Its data blocks a new server of the same id, with a way out.
  Result c = h.vsrv({"create", "--template", vsrv::test::kTemplate, "-f",
                     h.write_spec(sh_spec("exec sleep 1000")), id});
  CHECK(c.status == 2);
  CHECK(c.err.find("vsrv delete " + id) != std::string::npos);
  CHECK(h.vsrv({"delete", id}).status == 0);
  CHECK(h.traces(id).empty());
}

TEST_CASE("the boot-time unit is a valid oneshot that runs start --all-onboot",
          "[vserver][onboot]") {
  VsrvHarness h;
  const std::string unit = vsrv::read_file(VSRV_SOURCE_DIR "/packaging/vsrv-onboot.service");
  for (const char* line : {"\nType=oneshot\n", "\nRemainAfterExit=yes\n",
                           "\nExecStart=/usr/bin/vsrv start --all-onboot\n", "\nDelegate=yes\n",
                           "\nWantedBy=multi-user.target\n"}) {
    INFO(line);
    CHECK(unit.find(line) != std::string::npos);
  }
  // The unit as it would run here: this build's vsrv on the test's dirs.
  std::string here = unit;
  const std::string exec = "/usr/bin/vsrv";
  const std::string cmd = std::string(VSRV_BINARY) + " --root " + h.root() + " --data " + h.data();
  here.replace(here.find(exec), exec.size(), cmd);
  const std::string path = h.scratch() + "/vsrv-onboot.service";
  vsrv::write_file_atomic(path, here, 0644);
  Result verify = vsrv::test::run({"/usr/bin/systemd-analyze", "verify", "--man=no", path});
  INFO(verify.out << verify.err);
  CHECK(verify.status == 0);
  CHECK(verify.err.empty());  // no unknown keys or sections either

  std::string id = h.new_id("unit");
  REQUIRE(h.vsrv({"create", "--template", vsrv::test::kTemplate, "-f",
                  h.write_spec(sh_spec("exec sleep 1000", "vsrv: {onboot: true}\n")), id})
              .status == 0);
  const std::string start = here.substr(here.find("ExecStart=") + 10);
  Result r = vsrv::test::run({"/bin/sh", "-c", start.substr(0, start.find('\n'))});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == id + ": started\n");
  CHECK(h.status(id) == "running");
}
