// What makes a template's root a server of its own: hostname, /etc/hosts,
// /etc/resolv.conf written into its upper layer (the template untouched),
// and its own size-limited disk (vsrv.disk) that fills up with "No space
// left on device" inside and costs the host nothing outside.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::lines_of;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

std::string in_server(const VsrvHarness& h, const std::string& id, const std::string& script) {
  Result r = h.vsrv({"exec", id, "--", "sh", "-c", script});
  INFO(script << ": " << r.err);
  CHECK(r.status == 0);
  return r.out;
}

// Loop devices whose backing file lies below dir.
std::vector<std::string> loops_backed_by(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/sys/block");
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind("loop", 0) != 0) continue;
    auto f = vsrv::try_read_file("/sys/block/" + n + "/loop/backing_file");
    if (f && f->rfind(dir, 0) == 0) out.push_back(n + " " + vsrv::trim(*f));
  }
  ::closedir(d);
  return out;
}

bool mountinfo_mentions(const std::string& text) {
  for (const auto& line : vsrv::test::mountinfo())
    if (line.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a server gets its hostname, hosts and resolv.conf", "[vserver][files]") {
  VsrvHarness h;
  const std::string tmpl_hosts =
      vsrv::read_file(h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs/etc/hosts");

  SECTION("by default its hostname is its id") {
    std::string id = h.new_id("name");
    h.run_detached(id, kSleeper);
    CHECK(in_server(h, id, "hostname") == id + "\n");
    CHECK(in_server(h, id, "cat /etc/hostname") == id + "\n");
    std::string hosts = in_server(h, id, "cat /etc/hosts");
    CHECK(hosts == "127.0.0.1\tlocalhost\n127.0.1.1\t" + id +
                       "\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    // The host's nameservers that a server can reach: all but loopback ones.
    std::string resolv = in_server(h, id, "cat /etc/resolv.conf");
    for (const auto& line : lines_of(vsrv::read_file("/etc/resolv.conf"))) {
      if (line.rfind("nameserver ", 0) != 0) continue;
      bool loopback = line.rfind("nameserver 127.", 0) == 0 || line == "nameserver ::1";
      INFO(line);
      CHECK((resolv.find(line + "\n") != std::string::npos) == !loopback);
    }
    // Written in the server's own layer: the template is as it was.
    CHECK(vsrv::read_file(h.data() + "/servers/" + id + "/upper/etc/hosts") == hosts);
    CHECK(vsrv::read_file(h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs/etc/hosts") ==
          tmpl_hosts);
  }
  SECTION("a hostname and nameservers from the spec") {
    std::string id = h.new_id("dns");
    h.run_detached(
        id, std::string(kSleeper) + "hostname: web1\nvsrv: {dns: [192.0.2.53, '2001:db8::53']}\n");
    CHECK(in_server(h, id, "hostname; cat /etc/hostname") == "web1\nweb1\n");
    CHECK(in_server(h, id, "grep web1 /etc/hosts") == "127.0.1.1\tweb1\n");
    CHECK(in_server(h, id, "grep nameserver /etc/resolv.conf") ==
          "nameserver 192.0.2.53\nnameserver 2001:db8::53\n");
  }
  SECTION("with the host's network, the host's resolv.conf as it is") {
    std::string id = h.new_id("hostnet");
    h.run_detached(id, std::string(kSleeper) + "vsrv: {network: host}\n");
    CHECK(in_server(h, id, "cat /etc/resolv.conf") == vsrv::read_file("/etc/resolv.conf"));
    CHECK(in_server(h, id, "cat /etc/hostname") == id + "\n");
  }
  SECTION("written again at each create: a changed hostname shows") {
    std::string id = h.new_id("again");
    h.run_detached(id, std::string(kSleeper) + "hostname: first\n");
    CHECK(in_server(h, id, "cat /etc/hostname") == "first\n");
    REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
    h.run_detached(id, std::string(kSleeper) + "hostname: second\n");
    CHECK(in_server(h, id, "hostname; cat /etc/hostname; grep 127.0.1.1 /etc/hosts") ==
          "second\nsecond\n127.0.1.1\tsecond\n");
  }
}

TEST_CASE("vsrv.disk: the server fills its own disk, not the host's", "[vserver][disk]") {
  VsrvHarness h;
  std::string id = h.new_id("disk");
  h.run_detached(id, std::string(kSleeper) + "vsrv: {disk: 32Mi}\n");
  const std::string data = h.data() + "/servers/" + id;
  CHECK(loops_backed_by(data).size() == 1);
  // Attached only inside the server: the host's mount table never has it.
  CHECK_FALSE(mountinfo_mentions(data));

  // A neighbour without a disk of its own, on the same template.
  std::string neighbour = h.new_id("neighbour");
  h.run_detached(neighbour, kSleeper);

  // The server sees a filesystem of its size as /.
  auto fields = vsrv::split(vsrv::test::lines_of(in_server(h, id, "df -k / | tail -1")).at(0), ' ');
  fields.erase(std::remove(fields.begin(), fields.end(), ""), fields.end());
  REQUIRE(fields.size() >= 2);
  CHECK(std::stoull(fields[1]) <= 32 * 1024);
  CHECK(std::stoull(fields[1]) >= 24 * 1024);
  Result dd = h.vsrv({"exec", id, "--", "dd", "if=/dev/zero", "of=/fill", "bs=1M", "count=64"});
  CHECK(dd.status != 0);
  CHECK(dd.err.find("No space left on device") != std::string::npos);
  Result more = h.vsrv({"exec", id, "--", "sh", "-c", "cat /fill > /fill2"});
  CHECK(more.status != 0);
  CHECK(more.err.find("No space left on device") != std::string::npos);
  // The rest of the host is not: the neighbour and the host's own data dir
  // take 8 MiB each as usual.
  CHECK(in_server(h, neighbour,
                  "dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null && wc -c < /big") ==
        "8388608\n");
  vsrv::write_file_atomic(h.scratch() + "/host-file", std::string(8 << 20, 'h'), 0644);
  CHECK(vsrv::read_file(h.scratch() + "/host-file").size() == 8u << 20);
  REQUIRE(h.vsrv({"delete", "--force", neighbour}).status == 0);
  // What the server wrote stays in its image, within its size.
  struct stat st;
  REQUIRE(::stat((data + "/disk.img").c_str(), &st) == 0);
  CHECK(st.st_size == 32 << 20);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 <= (32u << 20));
  // Freeing space inside works again.
  CHECK(in_server(h, id, "rm /fill && echo hi > /after && cat /after") == "hi\n");
  // Its files went to the disk, not to a plain upper directory.
  struct stat upper;
  CHECK(::stat((data + "/upper").c_str(), &upper) != 0);

  REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  for (int i = 0; i < 200 && !loops_backed_by(data).empty(); ++i) vsrv::test::sleep_ms(10);
  CHECK(loops_backed_by(data).empty());
  CHECK(h.traces(id).empty());
}

TEST_CASE("vsrv.disk needs a template", "[vserver][disk]") {
  VsrvHarness h;
  const std::string bundle = h.scratch() + "/bundle";
  vsrv::make_dirs(bundle + "/rootfs", 0755);
  vsrv::write_file_atomic(bundle + "/config.yaml",
                          std::string(kSleeper) + "vsrv: {template: '', disk: 32Mi}\n", 0644);
  std::string id = h.new_id("nodisk");
  Result r = h.vsrv({"create", "-b", bundle, id});
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("vsrv.disk: needs a template") != std::string::npos);
  CHECK(h.traces(id).empty());
}
