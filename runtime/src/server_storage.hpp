// A server's files under DATA/servers/ID: server.json (saved_server.hpp),
// the overlay's upper/ and work/ (on the server's own disk with vsrv.disk,
// else plain directories), the /etc files written for it (server_files.hpp)
// and the rootfs mount point. A fresh create makes all of it and its undo
// removes it; a re-create (start --all-onboot) keeps what is there.
#pragma once

#include "prepare.hpp"
#include "undo.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

struct Storage {
  UniqueFd disk;  // the server's disk, mounted detached; invalid without vsrv.disk
};

// Fresh (reuse false): DATA/servers/ID must not exist (kState otherwise: its
// data would silently become this server's). Warnings go to stderr.
Storage make_storage(const GlobalOptions& g, const CreateRequest& req, const Prepared& p,
                     bool reuse, Undo& undo);

}  // namespace vsrv::runtime
