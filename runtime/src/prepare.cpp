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
  Prepared p;
  std::string spec_path;
  if (!req.spec_file.empty()) {
    spec_path = absolute_path(req.spec_file);
    if (!is_file(spec_path)) throw Error(ErrorKind::kUsage, "-f " + req.spec_file + ": no such file");
    p.bundle = req.bundle.empty() ? dirname_of(spec_path) : absolute_path(req.bundle);
  } else {
    p.bundle = absolute_path(req.bundle);
    if (!is_dir(p.bundle)) throw Error(ErrorKind::kUsage, "bundle " + p.bundle + ": no such directory");
    for (const char* name : {"config.json", "config.yaml", "config.yml"}) {
      if (is_file(p.bundle + "/" + name)) {
        spec_path = p.bundle + "/" + name;
        break;
      }
    }
    if (spec_path.empty())
      throw Error(ErrorKind::kUsage, "bundle " + p.bundle + ": no config.json or config.yaml");
  }
  p.source_name = basename_of(spec_path);
  p.source_text = read_file(spec_path);
  auto parsed = parse_server_spec(p.source_text, p.source_name);
  p.spec = std::move(parsed.spec);
  p.warnings = std::move(parsed.warnings);

  p.template_name = req.template_name.empty() ? p.spec.vsrv.template_name : req.template_name;
  if (!p.template_name.empty()) {
    p.lower = template_rootfs(g, p.template_name);
    if (!is_dir(p.lower))
      throw Error(ErrorKind::kUsage, "template " + p.template_name +
                                         " does not exist (create it with: vsrv template busybox " +
                                         p.template_name + ")");
    p.rootfs = server_data_dir(g, req.id) + "/rootfs";
  } else {
    const std::string& root = p.spec.root.path;
    p.rootfs = root[0] == '/' ? root : p.bundle + "/" + root;
    if (!is_dir(p.rootfs))
      throw Error(ErrorKind::kUsage, p.source_name + ": root.path: " + p.rootfs + ": no such directory");
  }
  return p;
}

rootfs::Plan mount_plan(const GlobalOptions& g, const std::string& id, const Prepared& p,
                        bool no_pivot) {
  rootfs::Plan plan;
  plan.rootfs = p.rootfs;
  if (!p.template_name.empty()) {
    std::string d = server_data_dir(g, id);
    plan.overlay.push_back(rootfs::Overlay{{p.lower}, d + "/upper", d + "/work"});
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
