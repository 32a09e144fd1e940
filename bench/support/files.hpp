// Small file helpers for the benchmarks (they throw std::runtime_error).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vsrv::bench {

std::string read_file(const std::string& path);
std::optional<std::string> try_read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
void make_dir(const std::string& path);                   // one level; an existing dir is fine
std::vector<std::string> split_ws(const std::string& s);  // split on blanks/newlines
// "key:  123 kB" lines (/proc/meminfo, smaps_rollup): the number, or -1.
long long field_kib(const std::string& text, const std::string& key);

}  // namespace vsrv::bench
