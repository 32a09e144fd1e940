// OCI hooks: each of the six runs at its point of the life of a server,
// where OCI says (the host's namespaces, or the server's), with the state on
// stdin; timeouts kill; failures fail create/start, or warn after start.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using nlohmann::json;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

// A config.json over the busybox template's root (read-only, /tmp a tmpfs).
json base_config(const VsrvHarness& h) {
  Result r = h.vsrv({"spec", "--format", "json"});
  REQUIRE(r.status == 0);
  json c = json::parse(r.out);
  c["root"] = {{"path", h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs"},
               {"readonly", true}};
  c["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  c["process"]["terminal"] = false;
  c["annotations"] = {{"test.vsrv", "hooks"}};
  c.erase("vsrv");
  return c;
}

std::string write_bundle(VsrvHarness& h, const json& config) {
  std::string dir = h.write_spec("") + ".bundle";
  vsrv::make_dirs(dir);
  vsrv::write_file_atomic(dir + "/config.json", config.dump(2));
  return dir;
}

json sh_hook(const std::string& script, std::optional<int> timeout = std::nullopt) {
  json j = {{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}};
  if (timeout) j["timeout"] = *timeout;
  return j;
}

// Lines "<stage> <mnt ns> <state JSON>" a hook appends to log.
json logging_hook(const std::string& stage, const std::string& log) {
  return sh_hook("echo \"" + stage + " $(readlink /proc/self/ns/mnt) $(cat)\" >> " + log);
}

}  // namespace

TEST_CASE("the six OCI hooks run at their points with the state on stdin", "[hooks]") {
  VsrvHarness h;
  std::string log = h.scratch() + "/hooks.log";
  json c = base_config(h);
  for (const char* stage :
       {"prestart", "createRuntime", "createContainer", "poststart", "poststop"})
    c["hooks"][stage].push_back(logging_hook(stage, log));
  // startContainer resolves inside the server's root: it leaves its stdin
  // where the server's process finds it.
  c["hooks"]["startContainer"].push_back(sh_hook("cat > /tmp/started"));
  c["process"]["args"] = {"sh", "-c", "cat /tmp/started; exec sleep 100"};
  std::string bundle = write_bundle(h, c);
  std::string id = h.new_id("hooks");

  REQUIRE(h.vsrv({"create", "-b", bundle, id}).status == 0);
  pid_t pid = h.state_file(id).at("pid").get<pid_t>();
  std::string host_mnt = vsrv::test::ns_link(::getpid(), "mnt");
  std::string server_mnt = vsrv::test::ns_link(pid, "mnt");
  REQUIRE(host_mnt != server_mnt);

  auto read_log = [&] {
    std::vector<std::pair<std::string, json>> out;
    std::map<std::string, std::string> ns;
    for (const auto& line : vsrv::test::lines_of(vsrv::read_file(log))) {
      auto a = line.find(' '), b = line.find(' ', a + 1);
      out.emplace_back(line.substr(0, a), json::parse(line.substr(b + 1)));
      CHECK(line.substr(a + 1, b - a - 1) ==
            (line.rfind("createContainer", 0) == 0 ? server_mnt : host_mnt));
    }
    return out;
  };
  auto after_create = read_log();
  REQUIRE(after_create.size() == 3);
  CHECK(after_create[0].first == "prestart");
  CHECK(after_create[1].first == "createRuntime");
  CHECK(after_create[2].first == "createContainer");
  for (const auto& [stage, st] : after_create) {
    CHECK(st.at("id") == id);
    CHECK(st.at("status") == "creating");
    CHECK(st.at("pid") == pid);
    CHECK(st.at("bundle") == bundle);
    CHECK(st.at("annotations").at("test.vsrv") == "hooks");
    CHECK(st.at("ociVersion") == "1.0.2");
  }

  REQUIRE(h.vsrv({"start", id}).status == 0);
  auto after_start = read_log();
  REQUIRE(after_start.size() == 4);
  CHECK(after_start[3].first == "poststart");
  CHECK(after_start[3].second.at("status") == "running");
  // What startContainer got, as the server's process printed it.
  long long deadline = vsrv::test::now_ms() + 3000;
  std::string logs;
  while (logs.empty() && vsrv::test::now_ms() < deadline) {
    logs = h.vsrv({"logs", id}).out;
    if (logs.empty()) vsrv::test::sleep_ms(20);
  }
  json started = json::parse(logs);
  CHECK(started.at("status") == "created");
  CHECK(started.at("pid") == pid);

  REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  auto after_delete = read_log();
  REQUIRE(after_delete.size() == 5);
  CHECK(after_delete[4].first == "poststop");
  CHECK(after_delete[4].second.at("status") == "stopped");
  CHECK_FALSE(after_delete[4].second.contains("pid"));
}

TEST_CASE("a failing or slow hook before start fails the operation and leaves nothing", "[hooks]") {
  VsrvHarness h;
  struct Case {
    const char* stage;
    json hook;
    const char* error;
  };
  std::string marker = h.scratch() + "/orphan";
  const Case cases[] = {
      {"createRuntime", sh_hook("exit 3"), "createRuntime hook /bin/sh: exited with status 3"},
      {"prestart", sh_hook("(sleep 3; touch " + marker + ") & sleep 30", 1),
       "prestart hook /bin/sh: timed out after 1 s (killed)"},
      {"createContainer", json{{"path", "/nonexistent/hook"}},
       "createContainer hook /nonexistent/hook: No such file or directory"},
      {"startContainer", sh_hook("kill -9 $$"), "startContainer hook /bin/sh: killed by signal 9"},
  };
  for (const auto& c : cases) {
    INFO(c.stage);
    json config = base_config(h);
    config["process"]["args"] = {"true"};
    config["hooks"][c.stage].push_back(c.hook);
    std::string bundle = write_bundle(h, config);
    std::string id = h.new_id("fail");
    long long t0 = vsrv::test::now_ms();
    Result r = h.vsrv({"run", "-b", bundle, id});
    CHECK(r.status == 1);
    CHECK(vsrv::test::one_error_line(r.err));
    CHECK(r.err.find(c.error) != std::string::npos);
    CHECK(vsrv::test::now_ms() - t0 < 5000);
    CHECK(h.traces(id).empty());
  }
  // The timed-out hook's own children were killed with it.
  vsrv::test::sleep_ms(2500);
  CHECK(::access(marker.c_str(), F_OK) != 0);
}

TEST_CASE("poststart and poststop failures are warnings", "[hooks]") {
  VsrvHarness h;
  json c = base_config(h);
  c["process"]["args"] = {"sleep", "100"};
  c["hooks"]["poststart"].push_back(sh_hook("exit 4"));
  c["hooks"]["poststop"].push_back(sh_hook("exit 5"));
  std::string id = h.new_id("warn");
  Result r = h.vsrv({"run", "-d", "-b", write_bundle(h, c), id});
  CHECK(r.status == 0);
  CHECK(r.err == "vsrv: warning: poststart hook /bin/sh: exited with status 4\n");
  CHECK(h.status(id) == "running");
  r = h.vsrv({"delete", "--force", id});
  CHECK(r.status == 0);
  CHECK(r.err == "vsrv: warning: poststop hook /bin/sh: exited with status 5\n");
  CHECK(h.traces(id).empty());
}
