// Attached sessions: copying between the caller's terminal and a pty master,
// forwarding signals and window size, waiting for the process to exit.
#pragma once

#include <sys/types.h>

namespace vsrv::runtime {

// Waits for the process behind pidfd (a child of ours) and returns its exit
// code (128+signal when killed). With pty_master >= 0, copies stdin to the
// master and the master to stdout meanwhile, with stdin in raw mode when it
// is a terminal. Signals sent to vsrv (INT, TERM, HUP, QUIT, USR1, USR2) are
// forwarded to the process; SIGWINCH resizes the pty.
int attach_and_wait(pid_t pid, int pidfd, int pty_master);

}  // namespace vsrv::runtime
