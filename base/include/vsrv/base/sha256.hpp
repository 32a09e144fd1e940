// SHA-256 (FIPS 180-4), for content-addressed caches: a file name that only
// the same content can have.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vsrv {

std::array<uint8_t, 32> sha256(std::string_view data);
// The digest as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace vsrv
