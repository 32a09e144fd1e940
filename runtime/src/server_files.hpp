// The files that make a template's root a server of its own: /etc/hostname,
// /etc/hosts and /etc/resolv.conf, written into the server's upper layer
// before it starts; the shared template below is never touched. They are
// written again at every create (a changed hostname shows), so edits made
// inside the server to these three files do not survive a re-create.
#pragma once

#include <string>

#include "vsrv/runtime/spec.hpp"

namespace vsrv::runtime {

// "127.0.0.1 localhost", the hostname on 127.0.1.1 (Debian's convention),
// and the IPv6 loopback names.
std::string hosts_file(const std::string& hostname);

// resolv.conf for a server: the vsrv.dns nameservers when given; with the
// host's network, the host's file as it is; otherwise the host's file
// without loopback nameservers (127.0.0.53 of systemd-resolved, a local
// dnsmasq: unreachable from the server's own network namespace), falling
// back to resolved's upstream list (resolved_upstream, its
// /run/systemd/resolve/resolv.conf). search and options lines are kept.
std::string resolv_conf(const spec::Spec& s, const std::string& host,
                        const std::string& resolved_upstream);

// Writes the three files into upper/etc (made with the owner and mode of
// the template's /etc when missing), owned by the server's root. upper and
// lower are directory fds. With a user namespace of the server's own, the
// owners on disk are the host ids its maps give (the template's /etc, seen
// through an idmapped mount, is owned by the server's ids too).
void write_server_files(int upper, int lower, const spec::Spec& s);

}  // namespace vsrv::runtime
