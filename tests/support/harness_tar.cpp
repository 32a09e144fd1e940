#include "harness_tar.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "harness.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::test {
namespace {

// width-1 octal digits and a NUL, as ustar wants.
void octal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
}

std::string pad(const std::string& data) {
  std::string out = data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out;
}

std::string header(const std::string& name, char type, const std::string& link, uint64_t size,
                   const TarWriter::Meta& m, unsigned major, unsigned minor) {
  char h[512] = {};
  std::strncpy(h, name.c_str(), 100);
  octal(h + 100, 8, m.mode & 07777);
  octal(h + 108, 8, m.uid);
  octal(h + 116, 8, m.gid);
  octal(h + 124, 12, size);
  octal(h + 136, 12, static_cast<uint64_t>(m.mtime));
  h[156] = type;
  std::strncpy(h + 157, link.c_str(), 100);
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  octal(h + 329, 8, major);
  octal(h + 337, 8, minor);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  octal(h + 148, 7, sum);  // six digits and a NUL; the space after stays
  return std::string(h, 512);
}

// One pax record: "<len> key=value\n", len counting itself.
std::string record(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

}  // namespace

void TarWriter::entry(const std::string& name, char type, const std::string& link,
                      const std::string& data, const Meta& m, unsigned major, unsigned minor) {
  std::string pax;
  if (name.size() > 99) pax += record("path", name);
  if (link.size() > 99) pax += record("linkpath", link);
  for (const auto& [k, v] : m.xattrs) pax += record("SCHILY.xattr." + k, v);
  if (!pax.empty()) {
    out_ += header("PaxHeader", 'x', "", pax.size(), Meta{0644}, 0, 0);
    out_ += pad(pax);
  }
  out_ += header(name, type, link, data.size(), m, major, minor);
  out_ += pad(data);
}

void TarWriter::file(const std::string& name, const std::string& data, const Meta& m) {
  entry(name, '0', "", data, m);
}
void TarWriter::dir(const std::string& name, Meta m) {
  entry(name, '5', "", "", m);
}
void TarWriter::symlink(const std::string& name, const std::string& target, const Meta& m) {
  entry(name, '2', target, "", m);
}
void TarWriter::hardlink(const std::string& name, const std::string& target) {
  entry(name, '1', target, "", Meta{});
}
void TarWriter::device(const std::string& name, char type, unsigned major, unsigned minor,
                       const Meta& m) {
  entry(name, type, "", "", m, major, minor);
}

std::string TarWriter::bytes() const {
  return out_ + std::string(1024, '\0');
}

void TarWriter::write(const std::string& path, const std::string& compressor) const {
  if (compressor.empty()) {
    write_file_atomic(path, bytes(), 0644);
    return;
  }
  std::string plain = path + ".plain";
  write_file_atomic(plain, bytes(), 0644);
  Result r = run({"/bin/sh", "-c", compressor + " -c < '" + plain + "' > '" + path + "'"});
  ::remove(plain.c_str());
  if (r.status != 0) throw std::runtime_error(compressor + " failed: " + r.err);
}

std::string compression_of(const std::string& path) {
  const std::string head = read_file(path).substr(0, 512);
  auto starts = [&](const std::string& magic) { return head.compare(0, magic.size(), magic) == 0; };
  if (starts("\x1f\x8b")) return "gzip";
  if (starts(std::string("\xfd"
                         "7zXZ\0",
                         6)))
    return "xz";
  if (starts("\x28\xb5\x2f\xfd")) return "zstd";
  if (starts("BZh")) return "bzip2";
  if (head.size() == 512 && head.compare(257, 5, "ustar") == 0) return "";
  return "?";
}

}  // namespace vsrv::test
