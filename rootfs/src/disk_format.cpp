// create_disk_image: an empty ext4 filesystem in a sparse file, written with
// libext2fs the way mke2fs would, minus everything a fresh sparse file makes
// unnecessary (zeroing inode tables and the journal).
extern "C" {
#include <et/com_err.h>  // no extern "C" of its own
}
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/disk.hpp"

namespace vsrv::rootfs {
namespace {

constexpr uint64_t kBlockSize = 4096;
constexpr uint64_t kBytesPerInode = 16384;  // mke2fs's default ratio

void check(errcode_t err, const std::string& what) {
  if (err) throw Error(what + ": " + error_message(err));
}

void random_bytes(void* buf, size_t len) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t n = ::getrandom(p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("getrandom");
    p += n;
    len -= static_cast<size_t>(n);
  }
}

// The features of mke2fs's "ext4" type, without resize_inode (the disk is
// never grown in place).
void set_features(ext2_super_block& p) {
  p.s_feature_compat = EXT3_FEATURE_COMPAT_HAS_JOURNAL | EXT2_FEATURE_COMPAT_EXT_ATTR |
                       EXT2_FEATURE_COMPAT_DIR_INDEX;
  p.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
                         EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_64BIT;
  p.s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
                          EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
                          EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
}

// Closes (without flushing) a filesystem that was not finished.
struct FsGuard {
  ext2_filsys fs = nullptr;
  ~FsGuard() {
    if (fs) ext2fs_free(fs);
  }
};

void format(const std::string& path, uint64_t bytes) {
  const std::string what = "format disk image " + path;
  ext2_super_block p;
  std::memset(&p, 0, sizeof p);
  p.s_log_block_size = 2;  // 1024 << 2 = 4096
  p.s_rev_level = EXT2_DYNAMIC_REV;
  p.s_inode_size = 256;
  p.s_log_groups_per_flex = 4;
  ext2fs_blocks_count_set(&p, bytes / kBlockSize);
  p.s_inodes_count = static_cast<uint32_t>(bytes / kBytesPerInode);
  set_features(p);

  FsGuard g;
  check(ext2fs_initialize(path.c_str(), EXT2_FLAG_EXCLUSIVE | EXT2_FLAG_64BITS, &p, unix_io_manager,
                          &g.fs),
        what);
  ext2_filsys fs = g.fs;
  ext2_super_block* s = fs->super;
  random_bytes(s->s_uuid, sizeof s->s_uuid);
  s->s_uuid[6] = static_cast<__u8>((s->s_uuid[6] & 0x0f) | 0x40);  // RFC 4122 version 4
  s->s_uuid[8] = static_cast<__u8>((s->s_uuid[8] & 0x3f) | 0x80);
  random_bytes(s->s_hash_seed, sizeof s->s_hash_seed);
  s->s_def_hash_version = EXT2_HASH_HALF_MD4;
  s->s_checksum_type = EXT2_CRC32C_CHKSUM;
  s->s_max_mnt_count = static_cast<__s16>(-1);
  s->s_mkfs_time = s->s_wtime = static_cast<__u32>(::time(nullptr));
  s->s_min_extra_isize = s->s_want_extra_isize = 32;
  ext2fs_r_blocks_count_set(s, 0);
  std::strncpy(reinterpret_cast<char*>(s->s_volume_name), "vsrv-disk", sizeof s->s_volume_name);
  ext2fs_init_csum_seed(fs);

  check(ext2fs_allocate_tables(fs), what + ": allocate tables");
  check(ext2fs_convert_subcluster_bitmap(fs, &fs->block_map), what);
  // A sparse file reads as zeros: the inode tables are zeroed already, so
  // the kernel need not zero them in the background (that would allocate them).
  for (dgrp_t grp = 0; grp < fs->group_desc_count; ++grp) {
    ext2fs_bg_flags_set(fs, grp, EXT2_BG_INODE_ZEROED);
    ext2fs_group_desc_csum_set(fs, grp);
  }
  check(ext2fs_mkdir(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, nullptr), what + ": root directory");
  check(ext2fs_mkdir(fs, EXT2_ROOT_INO, 0, "lost+found"), what + ": lost+found");
  for (ext2_ino_t ino = EXT2_ROOT_INO + 1; ino < EXT2_FIRST_INODE(fs->super); ++ino) {
    ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
  }
  ext2fs_mark_ib_dirty(fs);
  ext2fs_mark_inode_bitmap2(fs->inode_map, EXT2_BAD_INO);
  ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
  check(ext2fs_update_bb_inode(fs, nullptr), what + ": bad blocks inode");

  ext2fs_journal_params journal;
  check(ext2fs_get_journal_params(&journal, fs), what + ": journal size");
  blk_t cap = static_cast<blk_t>(ext2fs_blocks_count(s) / 64);
  if (cap < 1024) cap = 1024;  // the smallest journal jbd2 accepts
  if (journal.num_journal_blocks > cap) journal.num_journal_blocks = cap;
  check(ext2fs_add_journal_inode3(fs, &journal, ~0ULL,
                                  EXT2_MKJOURNAL_LAZYINIT | EXT2_MKJOURNAL_NO_MNT_CHECK),
        what + ": journal");
  g.fs = nullptr;
  check(ext2fs_close_free(&fs), what + ": write");
}

}  // namespace

void create_disk_image(const std::string& path, uint64_t bytes) {
  bytes -= bytes % kBlockSize;
  {
    UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    if (!fd) throw SysError("create disk image " + path);
    if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) < 0) {
      int err = errno;
      ::unlink(path.c_str());
      throw SysError("size disk image " + path, err);
    }
  }
  try {
    format(path, bytes);
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
}

}  // namespace vsrv::rootfs
