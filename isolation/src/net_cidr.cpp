// IPv4/IPv6 addresses with a prefix: parsing, formatting, arithmetic.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/network.hpp"

namespace vsrv::isolation {

namespace {

// The low 64 bits of the address, host byte order.
uint64_t low64(const Cidr& c) {
  int n = c.bits() / 8;
  int from = n > 8 ? n - 8 : 0;
  uint64_t v = 0;
  for (int i = from; i < n; ++i) v = (v << 8) | c.bytes[i];
  return v;
}

void set_low64(Cidr& c, uint64_t v) {
  int n = c.bits() / 8;
  int from = n > 8 ? n - 8 : 0;
  for (int i = n - 1; i >= from; --i) {
    c.bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace

int Cidr::bits() const {
  return family == AF_INET6 ? 128 : 32;
}

std::string Cidr::address() const {
  char buf[INET6_ADDRSTRLEN];
  if (!::inet_ntop(family, bytes, buf, sizeof buf)) return "?";
  return buf;
}

std::string Cidr::str() const {
  return address() + "/" + std::to_string(prefix);
}

Cidr Cidr::network() const {
  Cidr c = *this;
  for (int i = 0; i < bits(); ++i) {
    if (i >= prefix) c.bytes[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  }
  return c;
}

bool Cidr::contains(const Cidr& other) const {
  if (other.family != family) return false;
  Cidr o = other;
  o.prefix = prefix;
  return o.network() == network();
}

uint64_t Cidr::size() const {
  int host_bits = bits() - prefix;
  return host_bits >= 63 ? (uint64_t{1} << 63) : (uint64_t{1} << host_bits);
}

uint64_t Cidr::host_part() const {
  int host_bits = bits() - prefix;
  uint64_t v = low64(*this);
  return host_bits >= 64 ? v : (v & ((uint64_t{1} << host_bits) - 1));
}

Cidr Cidr::at(uint64_t n) const {
  if (n >= size()) throw Error("address offset " + std::to_string(n) + " outside " + str());
  Cidr c = network();
  set_low64(c, low64(c) | n);
  return c;
}

bool Cidr::operator==(const Cidr& o) const {
  return family == o.family && prefix == o.prefix && std::memcmp(bytes, o.bytes, 16) == 0;
}

Cidr parse_cidr(const std::string& text) {
  Cidr c;
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  if (::inet_pton(AF_INET, addr.c_str(), c.bytes) == 1) {
    c.family = AF_INET;
  } else if (::inet_pton(AF_INET6, addr.c_str(), c.bytes) == 1) {
    c.family = AF_INET6;
  } else {
    throw Error(ErrorKind::kUsage, "\"" + text + "\": not an IPv4 or IPv6 address");
  }
  c.prefix = c.bits();
  if (slash != std::string::npos) {
    const char* b = text.data() + slash + 1;
    const char* e = text.data() + text.size();
    int p = -1;
    auto [end, ec] = std::from_chars(b, e, p);
    if (b == e || ec != std::errc() || end != e || p < 0 || p > c.bits())
      throw Error(ErrorKind::kUsage, "\"" + text + "\": bad prefix length");
    c.prefix = p;
  }
  return c;
}

bool is_cidr(const std::string& text) {
  try {
    parse_cidr(text);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace vsrv::isolation
