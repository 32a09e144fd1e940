// The spec parser: YAML and JSON (read as YAML flow syntax) into spec::Spec.
// This file holds the top level, process, root, mounts, hooks and the vsrv:
// section; spec_parser_linux.cpp holds linux:.
#include "vsrv/runtime/spec_parser.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

#include "spec_parser_reader.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::spec {
namespace {

using detail::Ctx;
using detail::Field;
using detail::Obj;

Field required(Ctx& ctx, Obj& obj, const Field& parent, const std::string& key) {
  auto f = obj.get(key);
  if (!f) ctx.fail(parent.line, detail::join_path(parent.path, key), "required");
  return *f;
}

void parse_user(Ctx& ctx, const Field& field, isolation::User& user) {
  Obj o(ctx, field);
  if (auto f = o.get("uid")) user.uid = detail::uint32(ctx, *f);
  if (auto f = o.get("gid")) user.gid = detail::uint32(ctx, *f);
  if (auto f = o.get("umask")) user.umask = detail::file_mode(ctx, *f);
  if (auto f = o.get("additionalGids")) {
    user.additional_gids.clear();
    for (const Field& g : detail::list(ctx, *f, "must be a list of group ids")) {
      user.additional_gids.push_back(detail::uint32(ctx, g));
    }
  }
  o.ignore("username");  // Windows only
  o.finish();
}

void parse_process(Ctx& ctx, const Field& field, Process& p) {
  Obj o(ctx, field);
  if (auto f = o.get("terminal")) p.terminal = detail::boolean(ctx, *f);
  if (auto f = o.get("args")) {
    p.args.clear();
    for (const Field& a : detail::list(ctx, *f, "must be a non-empty list of strings")) {
      p.args.push_back(detail::str(ctx, a));
    }
  }
  if (auto f = o.get("env")) p.env = detail::str_list(ctx, *f);
  if (auto f = o.get("cwd")) p.cwd = detail::str(ctx, *f);
  if (auto f = o.get("user")) parse_user(ctx, *f, p.user);
  if (auto f = o.get("rlimits")) {
    p.rlimits.clear();
    for (const Field& r : detail::list(ctx, *f, "must be a list of {type, soft, hard}")) {
      Obj ro(ctx, r);
      isolation::Rlimit rl;
      rl.type = detail::str(ctx, required(ctx, ro, r, "type"));
      rl.soft = detail::uint64(ctx, required(ctx, ro, r, "soft"));
      rl.hard = detail::uint64(ctx, required(ctx, ro, r, "hard"));
      ro.finish();
      p.rlimits.push_back(rl);
    }
  }
  if (auto f = o.get("capabilities")) {
    Obj co(ctx, *f);
    // Sets not written keep the base's (none when parsing from scratch).
    isolation::Capabilities caps = p.capabilities.value_or(isolation::Capabilities{});
    if (auto c = co.get("bounding")) caps.bounding = detail::str_list(ctx, *c);
    if (auto c = co.get("effective")) caps.effective = detail::str_list(ctx, *c);
    if (auto c = co.get("permitted")) caps.permitted = detail::str_list(ctx, *c);
    if (auto c = co.get("inheritable")) caps.inheritable = detail::str_list(ctx, *c);
    if (auto c = co.get("ambient")) caps.ambient = detail::str_list(ctx, *c);
    co.finish();
    p.capabilities = caps;
  }
  if (auto f = o.get("noNewPrivileges")) p.no_new_privileges = detail::boolean(ctx, *f);
  if (auto f = o.get("oomScoreAdj")) {
    p.oom_score_adj = static_cast<int>(detail::int64(ctx, *f, -1000, 1000));
  }
  // The console is sized by whoever holds the terminal; commandLine is Windows only.
  o.ignore("consoleSize");
  o.ignore("commandLine");
  for (const char* key :
       {"apparmorProfile", "selinuxLabel", "ioPriority", "scheduler", "execCPUAffinity"}) {
    o.unsupported(key);
  }
  o.finish();
}

void parse_root(Ctx& ctx, const Field& field, Root& root) {
  Obj o(ctx, field);
  if (auto f = o.get("path")) root.path = detail::str(ctx, *f);
  if (auto f = o.get("readonly")) root.readonly = detail::boolean(ctx, *f);
  o.finish();
}

void parse_mounts(Ctx& ctx, const Field& field, std::vector<rootfs::Mount>& mounts) {
  mounts.clear();
  for (const Field& m : detail::list(ctx, field, "must be a list of mounts")) {
    Obj o(ctx, m);
    rootfs::Mount mount;
    mount.destination = detail::str(ctx, required(ctx, o, m, "destination"));
    if (auto f = o.get("type")) mount.type = detail::str(ctx, *f);
    if (auto f = o.get("source")) mount.source = detail::str(ctx, *f);
    if (auto f = o.get("options")) mount.options = detail::str_list(ctx, *f);
    o.unsupported("uidMappings");  // idmapped mounts
    o.unsupported("gidMappings");
    o.finish();
    mounts.push_back(mount);
  }
}

void parse_hook_list(Ctx& ctx, Obj& hooks, const std::string& key, std::vector<Hook>& out) {
  auto field = hooks.get(key);
  if (!field) return;
  out.clear();
  for (const Field& h : detail::list(ctx, *field, "must be a list of hooks")) {
    Obj o(ctx, h);
    Hook hook;
    hook.path = detail::str(ctx, required(ctx, o, h, "path"));
    if (auto f = o.get("args")) hook.args = detail::str_list(ctx, *f);
    if (auto f = o.get("env")) hook.env = detail::str_list(ctx, *f);
    if (auto f = o.get("timeout")) {
      hook.timeout = static_cast<int>(detail::int64(ctx, *f, INT_MIN, INT_MAX));
    }
    o.finish();
    out.push_back(hook);
  }
}

void parse_hooks(Ctx& ctx, const Field& field, Hooks& hooks) {
  Obj o(ctx, field);
  parse_hook_list(ctx, o, "prestart", hooks.prestart);
  parse_hook_list(ctx, o, "createRuntime", hooks.create_runtime);
  parse_hook_list(ctx, o, "createContainer", hooks.create_container);
  parse_hook_list(ctx, o, "startContainer", hooks.start_container);
  parse_hook_list(ctx, o, "poststart", hooks.poststart);
  parse_hook_list(ctx, o, "poststop", hooks.poststop);
  o.finish();
}

// "SIGUSR1", "USR1", "usr1", "RTMIN+2" -> number; empty when unknown.
std::optional<int> signal_from_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  auto offset = [&](const std::string& prefix, int sign) -> std::optional<int> {
    if (name == prefix) return 0;
    if (name.size() < prefix.size() + 2 || name.rfind(prefix, 0) != 0) return std::nullopt;
    if (name[prefix.size()] != (sign > 0 ? '+' : '-')) return std::nullopt;
    int n = 0;
    const char* begin = name.data() + prefix.size() + 1;
    auto [end, ec] = std::from_chars(begin, name.data() + name.size(), n);
    if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
    return sign * n;
  };
  std::optional<int> sig;
  if (auto n = offset("RTMIN", 1)) sig = SIGRTMIN + *n;
  if (auto n = offset("RTMAX", -1)) sig = SIGRTMAX + *n;
  if (sig && *sig >= SIGRTMIN && *sig <= SIGRTMAX) return sig;
  return std::nullopt;
}

void parse_network(Ctx& ctx, const Field& field, Network& net) {
  if (field.node.IsScalar()) {
    net.mode = field.node.Scalar();
    return;
  }
  if (!field.node.IsMap()) {
    ctx.fail(field.line, field.path, "must be a mode (none, host, bridge, routed, ns) or a map");
  }
  Obj o(ctx, field);
  if (auto f = o.get("mode")) net.mode = detail::str(ctx, *f);
  if (auto f = o.get("address")) net.address = detail::str(ctx, *f);
  if (auto f = o.get("address6")) net.address6 = detail::str(ctx, *f);
  if (auto f = o.get("mtu")) net.mtu = static_cast<int>(detail::int64(ctx, *f, 68, 65535));
  if (auto f = o.get("ports")) {
    net.ports.clear();
    for (const Field& p : detail::list(ctx, *f, "must be a list like [\"8080:80/tcp\"]")) {
      auto port = parse_port_map(detail::str(ctx, p));
      if (!port) ctx.fail(p.line, p.path, "must be HOSTPORT:PORT[/tcp|udp] like 8080:80/tcp");
      net.ports.push_back(*port);
    }
  }
  if (auto f = o.get("path")) net.path = detail::str(ctx, *f);
  o.finish();
}

void parse_vsrv(Ctx& ctx, const Field& field, VsrvSection& v) {
  Obj o(ctx, field);
  if (auto f = o.get("template")) v.template_name = detail::str(ctx, *f);
  if (auto f = o.get("network")) parse_network(ctx, *f, v.network);
  if (auto f = o.get("onboot")) v.onboot = detail::boolean(ctx, *f);
  if (auto f = o.get("restart")) v.restart = detail::str(ctx, *f);
  if (auto f = o.get("idmap")) {
    const std::string s = f->node.IsScalar() ? f->node.Scalar() : "";
    if (s == "auto") {
      v.idmap_auto = true;
    } else if (detail::is_plain(f->node) && (s == "false" || s == "False" || s == "FALSE")) {
      v.idmap_auto = false;
    } else {
      ctx.fail(f->line, f->path, "must be auto or false");
    }
  }
  if (auto f = o.get("stopSignal")) {
    if (!f->node.IsScalar()) ctx.fail(f->line, f->path, "must be a signal name or number");
    const std::string s = f->node.Scalar();
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
      v.stop_signal = static_cast<int>(detail::int64(ctx, *f, 1, SIGRTMAX));
    } else if (auto sig = signal_from_name(s)) {
      v.stop_signal = *sig;
    } else {
      ctx.fail(f->line, f->path, "unknown signal \"" + s + "\"");
    }
  }
  if (auto f = o.get("disk")) v.disk = detail::size(ctx, *f);
  if (auto f = o.get("dns")) v.dns = detail::str_list(ctx, *f);
  o.finish();
}

// Whether 1-based line `line` of text starts with indentation holding a tab.
bool tab_indented(const std::string& text, int line) {
  size_t pos = 0;
  for (int i = 1; i < line && pos != std::string::npos; ++i) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (line < 1 || pos == std::string::npos) return false;
  for (; pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'); ++pos) {
    if (text[pos] == '\t') return true;
  }
  return false;
}

ParseResult parse_onto(const std::string& text, const std::string& source, const Spec* base) {
  Ctx ctx;
  ctx.source = source;
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    std::string what = "invalid YAML: " + e.msg;
    std::replace(what.begin(), what.end(), '\n', ' ');
    if (tab_indented(text, line)) what += " (tabs cannot indent YAML; use spaces)";
    throw Error(ErrorKind::kUsage, detail::format_message(source, line, "", what));
  }
  if (!doc.IsDefined() || doc.IsNull()) {
    if (!base) ctx.fail(1, "top level", "must be a map of spec fields, the document is empty");
    doc = YAML::Node(YAML::NodeType::Map);  // nothing changes the base
  }
  if (!doc.IsMap()) ctx.fail(doc, "top level", "must be a map of spec fields");

  ParseResult result;
  if (base) result.spec = *base;
  Spec& spec = result.spec;
  const Field top{doc, "", detail::line_of(doc)};
  ctx.lines[""] = top.line;
  Obj o(ctx, top);
  if (auto f = o.get("ociVersion")) spec.oci_version = detail::str(ctx, *f);
  if (auto f = o.get("root")) parse_root(ctx, *f, spec.root);
  if (auto f = o.get("process")) parse_process(ctx, *f, spec.process);
  if (auto f = o.get("hostname")) spec.hostname = detail::str(ctx, *f);
  if (auto f = o.get("mounts")) parse_mounts(ctx, *f, spec.mounts);
  if (auto f = o.get("hooks")) parse_hooks(ctx, *f, spec.hooks);
  if (auto f = o.get("annotations")) spec.annotations = detail::str_map(ctx, *f);
  if (auto f = o.get("linux")) detail::parse_linux(ctx, *f, spec.linux);
  if (auto f = o.get("vsrv")) parse_vsrv(ctx, *f, spec.vsrv);
  o.unsupported("domainname");
  for (const char* other_os : {"solaris", "windows", "vm", "zos"}) o.ignore(other_os);
  o.finish();

  const YAML::Node& cdoc = doc;
  const YAML::Node linux_node = cdoc["linux"];
  detail::apply_network_mode(
      spec, linux_node.IsDefined() && linux_node.IsMap() && linux_node["namespaces"].IsDefined());
  detail::validate_with_lines(spec, source, &ctx.lines, base == nullptr);
  result.warnings = std::move(ctx.warnings);
  return result;
}

}  // namespace

ParseResult parse(const std::string& text, const std::string& source) {
  return parse_onto(text, source, nullptr);
}

ParseResult parse_over(const std::string& text, const std::string& source, const Spec& base) {
  return parse_onto(text, source, &base);
}

ParseResult parse_file(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return parse(read_file(path), name);
}

}  // namespace vsrv::spec
