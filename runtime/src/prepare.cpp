#include "prepare.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/runtime/spec_parser.hpp"
#include "vsrv/runtime/templates.hpp"

namespace vsrv::runtime {

namespace {

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string dirname_of(const std::string& p) {
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}
std::string basename_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool creates_namespace(const spec::Spec& s, isolation::NsType type) {
  for (const auto& ns : s.linux.namespaces)
    if (ns.type == type && ns.path.empty()) return true;
  return false;
}

// The server's id as a hostname: at most 63 letters, digits, dots and
// hyphens ('_' becomes '-').
std::string default_hostname(const std::string& id) {
  std::string out = id.substr(0, 63);
  for (char& c : out)
    if (c == '_') c = '-';
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out.empty() ? "vsrv" : out;
}

}  // namespace

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw SysError("getcwd");
  std::string base = cwd;
  if (path.empty() || path == ".") return base;
  return base + "/" + path;
}

spec::ParseResult parse_server_spec(const std::string& text, const std::string& source) {
  bool json = source.size() >= 5 && source.compare(source.size() - 5, 5, ".json") == 0;
  if (json) return spec::parse(text, source);
  return spec::parse_over(text, source, spec::default_spec());
}

std::string server_data_dir(const GlobalOptions& g, const std::string& id) {
  return g.data + "/servers/" + id;
}

Prepared prepare(const GlobalOptions& g, const CreateRequest& req) {
  spec::validate_id(req.id);
  std::string spec_path, bundle;
  if (!req.spec_file.empty()) {
    spec_path = absolute_path(req.spec_file);
    if (!is_file(spec_path))
      throw Error(ErrorKind::kUsage, "-f " + req.spec_file + ": no such file");
    bundle = req.bundle.empty() ? dirname_of(spec_path) : absolute_path(req.bundle);
  } else {
    bundle = absolute_path(req.bundle);
    if (!is_dir(bundle)) throw Error(ErrorKind::kUsage, "bundle " + bundle + ": no such directory");
    for (const char* name : {"config.json", "config.yaml", "config.yml"}) {
      if (is_file(bundle + "/" + name)) {
        spec_path = bundle + "/" + name;
        break;
      }
    }
    if (spec_path.empty())
      throw Error(ErrorKind::kUsage, "bundle " + bundle + ": no config.json or config.yaml");
  }
  return prepare_text(g, req.id, bundle, basename_of(spec_path), read_file(spec_path),
                      req.template_name);
}

Prepared prepare_text(const GlobalOptions& g, const std::string& id, const std::string& bundle,
                      const std::string& source, const std::string& text,
                      const std::string& template_name) {
  spec::validate_id(id);
  Prepared p;
  p.bundle = bundle;
  p.source_name = source;
  p.source_text = text;
  auto parsed = parse_server_spec(p.source_text, p.source_name);
  p.spec = std::move(parsed.spec);
  p.warnings = std::move(parsed.warnings);
  if (p.spec.hostname.empty() && creates_namespace(p.spec, isolation::NsType::kUts)) {
    p.spec.hostname = default_hostname(id);
  }

  if (p.spec.vsrv.idmap_auto) p.id_pool = configured_id_pool(g);
  p.template_name = template_name.empty() ? p.spec.vsrv.template_name : template_name;
  if (!p.template_name.empty()) {
    p.template_lock = use_template(g, p.template_name);
    p.lower = template_rootfs(g, p.template_name);
    p.rootfs = server_data_dir(g, id) + "/rootfs";
  } else {
    if (p.spec.vsrv.idmap_auto) {
      // Through an idmapped mount, what the server's root wrote would be
      // host root's on disk (setuid files included).
      throw Error(ErrorKind::kUsage,
                  p.source_name +
                      ": vsrv.idmap: auto needs a template (vsrv.template or --template); a "
                      "bundle's root.path cannot be shared safely: give it linux.uidMappings and "
                      "own its files by the mapped ids instead");
    }
    if (p.spec.vsrv.disk) {
      throw Error(ErrorKind::kUsage, p.source_name +
                                         ": vsrv.disk: needs a template (the disk holds the "
                                         "server's layer over it)");
    }
    const std::string& root = p.spec.root.path;
    p.rootfs = root[0] == '/' ? root : p.bundle + "/" + root;
    if (!is_dir(p.rootfs))
      throw Error(ErrorKind::kUsage,
                  p.source_name + ": root.path: " + p.rootfs + ": no such directory");
  }
  return p;
}

rootfs::Plan mount_plan(const GlobalOptions& g, const std::string& id, const Prepared& p,
                        bool no_pivot, int disk_fd) {
  rootfs::Plan plan;
  plan.rootfs = p.rootfs;
  if (!p.template_name.empty()) {
    std::string d = server_data_dir(g, id);
    if (disk_fd >= 0) {
      d += "/disk";
      plan.overlay.push_back(rootfs::Overlay{{p.lower}, d + "/upper", d + "/work", disk_fd, d});
    } else {
      plan.overlay.push_back(rootfs::Overlay{{p.lower}, d + "/upper", d + "/work", -1, ""});
    }
  }
  plan.readonly = p.spec.root.readonly;
  plan.propagation = p.spec.linux.rootfs_propagation;
  plan.mounts = p.spec.mounts;
  plan.masked_paths = p.spec.linux.masked_paths;
  plan.readonly_paths = p.spec.linux.readonly_paths;
  plan.no_pivot = no_pivot;
  plan.devices = p.spec.linux.devices;
  return plan;
}

}  // namespace vsrv::runtime
