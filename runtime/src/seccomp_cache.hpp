// Compiled seccomp programs shared by every server under one --root, so a
// server whose profile was seen before loads it without compiling:
//   ROOT/.seccomp/<sha256 of the profile's canonical text>.bpf
// Each file also holds the canonical text itself, compared on every read,
// so a file can only ever be used for the profile it was compiled from.
#pragma once

#include <string>

#include "vsrv/isolation/seccomp_program.hpp"

namespace vsrv::runtime {

// The program for profile: read from the cache, or compiled and stored
// (atomically: a unique temporary file renamed into place). A missing,
// truncated or foreign cache file is recompiled and replaced.
isolation::SeccompProgram cached_seccomp(const std::string& state_root,
                                         const isolation::Seccomp& profile);

// The cache file of a profile (for tests and tools).
std::string seccomp_cache_path(const std::string& state_root, const isolation::Seccomp& profile);

}  // namespace vsrv::runtime
