#include "server_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "saved_server.hpp"
#include "server_disk.hpp"
#include "server_files.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

Storage make_storage(const GlobalOptions& g, const CreateRequest& req, const Prepared& p,
                     bool reuse, Undo& undo) {
  const std::string dir = server_data_dir(g, req.id);
  if (!reuse) {
    make_dirs(g.data + "/servers", 0711);
    if (::mkdir(dir.c_str(), 0700) < 0) {
      if (errno == EEXIST) {
        throw Error(ErrorKind::kState,
                    "server " + req.id + " has data in " + dir +
                        " from an earlier life: start it with `vsrv start --all-onboot` or "
                        "remove it with `vsrv delete " +
                        req.id + "`");
      }
      throw SysError("mkdir " + dir);
    }
    undo.push([dir] { remove_tree(dir); });
  }
  SavedServer saved{req.id,        p.template_name, p.bundle,           p.source_name,
                    p.source_text, req.no_pivot,    p.spec.vsrv.onboot, p.idmap_base};
  save_server(g, saved);

  Storage out;
  if (p.template_name.empty()) return out;
  make_dirs(dir + "/rootfs", 0755);
  UniqueFd upper;
  if (p.spec.vsrv.disk) {
    make_dirs(dir + "/disk", 0700);
    std::vector<std::string> warnings;
    out.disk = open_server_disk(dir, static_cast<uint64_t>(*p.spec.vsrv.disk), warnings);
    for (const auto& w : warnings) std::cerr << "vsrv: warning: " << w << "\n";
    upper.reset(::openat(out.disk.get(), "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  } else {
    make_dirs(dir + "/upper", 0755);
    make_dirs(dir + "/work", 0755);
    upper.reset(::open((dir + "/upper").c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!upper) throw SysError("open the upper layer of " + req.id);
  // The root of the server's tree is its root's (in a user namespace of
  // its own, the host ids its maps give).
  const uid_t root_uid = isolation::host_id(p.spec.linux.uid_mappings, 0);
  const gid_t root_gid = isolation::host_id(p.spec.linux.gid_mappings, 0);
  if ((root_uid != 0 || root_gid != 0) &&
      ::fchownat(upper.get(), "", root_uid, root_gid, AT_EMPTY_PATH) < 0)
    throw SysError("chown the upper layer of " + req.id);
  UniqueFd lower(::open(p.lower.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!lower) throw SysError("open template " + p.lower);
  write_server_files(upper.get(), lower.get(), p.spec);
  return out;
}

}  // namespace vsrv::runtime
