// run -t and exec -t give the process a real terminal, driven here through
// util-linux `script`, which runs vsrv on a pty of its own and types our
// input into it.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "harness_vsrv.hpp"

using vsrv::test::kTemplate;
using vsrv::test::Result;
using vsrv::test::run_limited;
using vsrv::test::VsrvHarness;

namespace {

// What a shell typed into prints: its tty, whether stdin is a terminal, and
// arithmetic (so the echo of the typed line cannot be mistaken for output).
const char* kTyped = "tty; [ -t 0 ] && [ -t 1 ] && echo isatty$((40+2))\nexit 3\n";

Result in_script(const VsrvHarness& h, const std::vector<std::string>& args) {
  return run_limited({"/usr/bin/script", "-qec", h.command_line(args), "/dev/null"}, kTyped, 20000);
}

void check_terminal(const Result& r) {
  INFO(r.out << r.err);
  CHECK(r.status == 3);  // the shell's exit code, through vsrv and script
  CHECK(std::regex_search(r.out, std::regex("/dev/pts/[0-9]+\r\n")));
  CHECK(r.out.find("isatty42") != std::string::npos);
  CHECK(r.out.find("not a tty") == std::string::npos);
}

}  // namespace

TEST_CASE("run -t gives the server's shell a terminal", "[lifecycle][terminal]") {
  VsrvHarness h;
  std::string id = h.new_id("runt");
  // The spec asks for no terminal: -t forces one.
  std::string spec = h.write_spec("process: {args: [sh], terminal: false}\n");
  check_terminal(in_script(h, {"run", "-t", "--template", kTemplate, "-f", spec, id}));
  CHECK(h.status(id) == "stopped");
  CHECK(h.state(id).at("exitStatus") == 3);
}

TEST_CASE("exec -t gives a process in a running server a terminal", "[lifecycle][terminal]") {
  VsrvHarness h;
  std::string id = h.new_id("exect");
  h.run_detached(id, "process: {args: [sleep, '1000'], terminal: false}\n");
  check_terminal(in_script(h, {"exec", "-t", id, "--", "sh"}));
  // Without -t the same input meets no terminal.
  Result plain = h.vsrv({"exec", id, "--", "sh"}, kTyped);
  INFO(plain.out << plain.err);
  CHECK(plain.status == 3);
  CHECK(plain.out.find("not a tty") != std::string::npos);
  CHECK(plain.out.find("isatty42") == std::string::npos);
  CHECK(h.status(id) == "running");
}
