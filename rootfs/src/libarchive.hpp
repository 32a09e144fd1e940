// Internal to rootfs: libarchive, loaded on first use (dlopen) instead of
// linked. Linked, every vsrv command would load it and what it needs
// (libxml2, ICU, nettle, lzma, zstd, ...): about 4 ms more for each start of
// the binary, paid by every server created, for a library only
// `template import` uses.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace vsrv::rootfs::detail {

#define VSRV_LIBARCHIVE_FUNCTIONS(X)    \
  X(archive_read_new)                   \
  X(archive_read_free)                  \
  X(archive_read_support_filter_gzip)   \
  X(archive_read_support_filter_xz)     \
  X(archive_read_support_filter_zstd)   \
  X(archive_read_support_filter_bzip2)  \
  X(archive_read_support_format_tar)    \
  X(archive_read_support_format_gnutar) \
  X(archive_read_open_fd)               \
  X(archive_read_next_header)           \
  X(archive_read_data_block)            \
  X(archive_error_string)               \
  X(archive_filter_bytes)               \
  X(archive_entry_pathname)             \
  X(archive_entry_filetype)             \
  X(archive_entry_hardlink)             \
  X(archive_entry_symlink)              \
  X(archive_entry_size)                 \
  X(archive_entry_uid)                  \
  X(archive_entry_gid)                  \
  X(archive_entry_perm)                 \
  X(archive_entry_rdev)                 \
  X(archive_entry_xattr_reset)          \
  X(archive_entry_xattr_next)           \
  X(archive_entry_mtime_is_set)         \
  X(archive_entry_mtime)                \
  X(archive_entry_mtime_nsec)           \
  X(archive_entry_atime_is_set)         \
  X(archive_entry_atime)                \
  X(archive_entry_atime_nsec)

struct LibArchive {
#define VSRV_LIBARCHIVE_MEMBER(name) decltype(&::name) name = nullptr;
  VSRV_LIBARCHIVE_FUNCTIONS(VSRV_LIBARCHIVE_MEMBER)
#undef VSRV_LIBARCHIVE_MEMBER
};

// Loaded once, kept for the life of the process. Throws vsrv::Error when
// the library (Debian's libarchive13) or one of its functions is missing.
const LibArchive& libarchive();

}  // namespace vsrv::rootfs::detail
