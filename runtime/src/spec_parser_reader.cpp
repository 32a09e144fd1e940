// Typed reading of yaml-cpp nodes: every wrong type is one error line
// naming the source, the line and the field path.
#include "spec_parser_reader.hpp"

#include <charconv>
#include <stdexcept>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec::detail {

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

std::string format_message(const std::string& source, int line, const std::string& path,
                           const std::string& what) {
  std::string msg = source;
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  if (!path.empty()) msg += path + ": ";
  msg += what;
  // One line, whatever the spec's strings (quoted in messages) contain.
  std::string out;
  for (char c : msg) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

int find_line(const LineMap& lines, const std::string& path) {
  std::string p = path;
  for (;;) {
    if (auto it = lines.find(p); it != lines.end()) return it->second;
    if (p.empty()) return 0;
    // Drop the last ".key" or "[i]".
    const size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
  }
}

void Ctx::fail(int line, const std::string& path, const std::string& what) const {
  throw Error(ErrorKind::kUsage, format_message(source, line, path, what));
}

void Ctx::warn(int line, const std::string& path, const std::string& what) {
  warnings.push_back(format_message(source, line, path, what));
}

Obj::Obj(Ctx& ctx, const Field& field) : ctx_(ctx), field_(field) {
  if (!field.node.IsMap()) ctx.fail(field.line, field.path, "must be a map");
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      ctx.fail(key, field.path.empty() ? "top level" : field.path, "keys must be strings");
    }
    const std::string name = key.Scalar();
    if (!keys_.emplace(name, key).second) {
      ctx.fail(key, join_path(field.path, name), "duplicate key");
    }
  }
}

std::optional<Field> Obj::get(const std::string& key) {
  known_.insert(key);
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  Field f{field_.node[key], join_path(field_.path, key), line_of(it->second)};
  ctx_.lines[f.path] = f.line;
  if (!f.node.IsDefined() || f.node.IsNull()) return std::nullopt;
  return f;
}

void Obj::unsupported(const std::string& key) {
  known_.insert(key);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  const YAML::Node value = field_.node[key];
  // size() is 0 for every scalar, so scalars are judged by their text.
  const bool empty = !value.IsDefined() || value.IsNull() ||
                     (value.IsScalar() ? value.Scalar().empty() : value.size() == 0);
  if (!empty) {
    ctx_.warn(line_of(it->second), join_path(field_.path, key),
              "not supported by vsrv yet, ignored");
  }
}

void Obj::finish() {
  for (const auto& [name, key] : keys_) {
    if (!known_.count(name)) {
      ctx_.warn(line_of(key), join_path(field_.path, name), "unknown property, ignored");
    }
  }
}

std::vector<Field> list(Ctx& ctx, const Field& field, const std::string& what) {
  if (!field.node.IsSequence()) ctx.fail(field.line, field.path, what);
  std::vector<Field> out;
  size_t i = 0;
  for (const YAML::Node& element : field.node) {
    Field f{element, index_path(field.path, i++), line_of(element)};
    ctx.lines[f.path] = f.line;
    out.push_back(f);
  }
  return out;
}

namespace {

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
// A spec is also written as JSON (state.json, `vsrv spec`), which holds
// nothing else.
bool valid_utf8(const std::string& s) {
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || i + len > s.size()) return false;
    if (len == 1) {
      ++i;
      continue;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

std::string str(Ctx& ctx, const Field& field) {
  if (!field.node.IsScalar()) ctx.fail(field.line, field.path, "must be a string");
  if (!valid_utf8(field.node.Scalar())) ctx.fail(field.line, field.path, "must be valid UTF-8");
  return field.node.Scalar();
}

bool boolean(Ctx& ctx, const Field& field) {
  if (field.node.IsScalar() && is_plain(field.node)) {
    const std::string& s = field.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  ctx.fail(field.line, field.path, "must be true or false");
}

namespace {

template <typename T>
std::optional<T> parse_integer(const YAML::Node& node) {
  if (!node.IsScalar() || !is_plain(node)) return std::nullopt;
  const std::string& s = node.Scalar();
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

}  // namespace

int64_t int64(Ctx& ctx, const Field& field, int64_t min, int64_t max) {
  auto value = parse_integer<int64_t>(field.node);
  if (!value || *value < min || *value > max) {
    if (min == INT64_MIN && max == INT64_MAX)
      ctx.fail(field.line, field.path, "must be an integer");
    ctx.fail(field.line, field.path,
             "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *value;
}

uint64_t uint64(Ctx& ctx, const Field& field, uint64_t max) {
  auto value = parse_integer<uint64_t>(field.node);
  if (!value || *value > max) {
    if (max == UINT64_MAX) ctx.fail(field.line, field.path, "must be a non-negative integer");
    ctx.fail(field.line, field.path, "must be an integer from 0 to " + std::to_string(max));
  }
  return *value;
}

uint32_t file_mode(Ctx& ctx, const Field& f) {
  if (f.node.IsScalar() && is_plain(f.node)) {
    std::string s = f.node.Scalar();
    int base = 10;
    if (s.rfind("0o", 0) == 0) {
      s = s.substr(2);
      base = 8;
    } else if (s.size() > 1 && s[0] == '0') {
      base = 8;
    }
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && value <= 0777) {
      return value;
    }
  }
  ctx.fail(f.line, f.path, "must be a file mode from 0 to 0777 (octal like 0022, or decimal)");
}

std::vector<std::string> str_list(Ctx& ctx, const Field& field) {
  std::vector<std::string> out;
  for (const Field& f : list(ctx, field, "must be a list of strings")) {
    out.push_back(str(ctx, f));
  }
  return out;
}

std::map<std::string, std::string> str_map(Ctx& ctx, const Field& field) {
  if (!field.node.IsMap()) ctx.fail(field.line, field.path, "must be a map of strings");
  std::map<std::string, std::string> out;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) ctx.fail(key, field.path, "keys must be strings");
    if (!valid_utf8(key.Scalar())) ctx.fail(key, field.path, "keys must be valid UTF-8");
    const std::string path = join_path(field.path, key.Scalar());
    ctx.lines[path] = line_of(key);
    if (!it->second.IsScalar()) ctx.fail(key, path, "must be a string");
    if (!valid_utf8(it->second.Scalar())) ctx.fail(key, path, "must be valid UTF-8");
    if (!out.emplace(key.Scalar(), it->second.Scalar()).second) {
      ctx.fail(key, path, "duplicate key");
    }
  }
  return out;
}

int64_t size(Ctx& ctx, const Field& field) {
  if (!field.node.IsScalar()) ctx.fail(field.line, field.path, "must be a size");
  const std::string& text = field.node.Scalar();
  try {
    return parse_size(text);
  } catch (const std::invalid_argument&) {
    ctx.fail(field.line, field.path,
             "invalid size \"" + text + "\" (use bytes or a number with k, M, G, Ki, Mi, Gi)");
  }
}

}  // namespace vsrv::spec::detail
