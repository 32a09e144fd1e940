// The on-disk format of a cached program (native byte order; the cache lives
// on one host):
//   "VSRVBPF1"  u32 flags  u32 text_len  u32 insn_count  text  insns
#include "seccomp_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/sha256.hpp"

namespace vsrv::runtime {

namespace {

constexpr char kMagic[8] = {'V', 'S', 'R', 'V', 'B', 'P', 'F', '1'};
constexpr size_t kHeader = sizeof kMagic + 3 * sizeof(uint32_t);

std::string cache_dir(const std::string& root) {
  return root + "/.seccomp";
}

std::string encode(const isolation::SeccompProgram& p, const std::string& text) {
  std::string out(kMagic, sizeof kMagic);
  const uint32_t fields[3] = {p.flags, static_cast<uint32_t>(text.size()),
                              static_cast<uint32_t>(p.filter.size())};
  out.append(reinterpret_cast<const char*>(fields), sizeof fields);
  out += text;
  out.append(reinterpret_cast<const char*>(p.filter.data()), p.filter.size() * sizeof(sock_filter));
  return out;
}

// The program, when data is a whole cache file for exactly this text.
std::optional<isolation::SeccompProgram> decode(const std::string& data, const std::string& text) {
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return {};
  uint32_t fields[3];
  std::memcpy(fields, data.data() + sizeof kMagic, sizeof fields);
  const uint64_t want = kHeader + uint64_t{fields[1]} + uint64_t{fields[2]} * sizeof(sock_filter);
  if (fields[1] != text.size() || fields[2] == 0 || data.size() != want) return {};
  if (data.compare(kHeader, text.size(), text) != 0) return {};
  isolation::SeccompProgram p;
  p.flags = fields[0];
  p.filter.resize(fields[2]);
  std::memcpy(p.filter.data(), data.data() + kHeader + text.size(),
              p.filter.size() * sizeof(sock_filter));
  return p;
}

std::optional<std::string> read_cache_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return {};
  struct stat st;
  if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (8 << 20)) return {};
  std::string data(static_cast<size_t>(st.st_size), '\0');
  if (read_full(fd.get(), data.data(), data.size()) != data.size()) return {};
  return data;
}

// A temporary file unique to this writer, renamed over path: concurrent
// writers of the same program each rename a whole file.
void store(const std::string& dir, const std::string& path, const std::string& data) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) throw SysError("create " + dir);
  std::random_device rd;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw SysError("create " + tmp);
  try {
    write_all(fd.get(), data.data(), data.size());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw SysError("store " + path, err);
  }
}

}  // namespace

std::string seccomp_cache_path(const std::string& state_root, const isolation::Seccomp& profile) {
  return cache_dir(state_root) + "/" + sha256_hex(isolation::seccomp_canonical(profile)) + ".bpf";
}

isolation::SeccompProgram cached_seccomp(const std::string& state_root,
                                         const isolation::Seccomp& profile) {
  const std::string text = isolation::seccomp_canonical(profile);
  const std::string path = cache_dir(state_root) + "/" + sha256_hex(text) + ".bpf";
  if (auto data = read_cache_file(path)) {
    if (auto program = decode(*data, text)) return *program;
  }
  isolation::SeccompProgram program = isolation::compile_seccomp(profile);
  // A cache that cannot be written costs only the next server's compile.
  try {
    store(cache_dir(state_root), path, encode(program, text));
  } catch (const Error&) {
  }
  return program;
}

}  // namespace vsrv::runtime
