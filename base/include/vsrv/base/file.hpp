// Small file helpers used across layers.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace vsrv {

// Whole file as a string; throws SysError.
std::string read_file(const std::string& path);
// Same, relative to a directory fd (or AT_FDCWD).
std::string read_file_at(int dirfd, const std::string& path);
// Empty optional when the file does not exist (ENOENT); other errors throw.
std::optional<std::string> try_read_file(const std::string& path);

// open(O_WRONLY|O_TRUNC (no O_CREAT)) + write; for procfs, sysfs and cgroupfs files.
void write_file(const std::string& path, const std::string& data);
void write_file_at(int dirfd, const std::string& path, const std::string& data);

// Atomic replace: write dir/.name.tmp, fsync, rename over dir/name, fsync dir.
// sync false: no fsync, for files that need not outlive a host crash (the
// state under --root, a tmpfs) or can be missing after one: readers still
// see the old or the new content, never a mix.
void write_file_atomic(const std::string& path, const std::string& data, mode_t mode = 0644,
                       bool sync = true);

// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, mode_t mode = 0755);

// rm -rf that never crosses a mount point (openat/unlinkat walk, no symlink following).
void remove_tree(const std::string& path);
// Names in a directory, without "." and ".."; empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& path);

// write(2)/read(2) loops retrying EINTR and short counts. write_all throws.
void write_all(int fd, const void* data, size_t len);
// Reads up to len bytes; returns the count read (less only at EOF).
size_t read_full(int fd, void* data, size_t len);

std::vector<std::string> split(const std::string& s, char sep);
std::string trim(const std::string& s);

}  // namespace vsrv
