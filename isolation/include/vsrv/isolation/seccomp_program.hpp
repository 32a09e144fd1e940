// A seccomp profile compiled once into classic BPF, so that loading it is a
// single seccomp(2) call: the runtime caches programs by their profile's
// canonical text and the server's init does no compiling.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_* from the profile's flags
};

// libseccomp's compilation of the profile (seccomp_export_bpf), with the same
// rules as apply_seccomp: unknown syscall names skipped, repeated argument
// indexes as alternatives. Throws vsrv::Error on a profile it cannot express.
SeccompProgram compile_seccomp(const Seccomp& profile);

// seccomp(SECCOMP_SET_MODE_FILTER, program.flags) in the calling thread (all
// threads with TSYNC). Like apply_seccomp, it does not set no_new_privs: the
// caller needs it or CAP_SYS_ADMIN.
void load_seccomp(const SeccompProgram& program);

// A text that two profiles share exactly when they compile to the same
// program on this host: every field of the profile in order, each string
// length-prefixed (so the text is unambiguous), plus what else the BPF
// depends on: libseccomp's version and API level, and the native
// architecture.
std::string seccomp_canonical(const Seccomp& profile);

}  // namespace vsrv::isolation
