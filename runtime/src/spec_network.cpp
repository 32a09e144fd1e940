// The vsrv.network section: forwarded ports, and what a network mode means
// for linux.namespaces.
#include <algorithm>
#include <charconv>

#include "spec_parser_reader.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {

namespace {

std::optional<uint16_t> port_number(const std::string& s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

std::optional<PortMap> parse_port_map(const std::string& text) {
  PortMap p;
  std::string s = text;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    p.proto = s.substr(slash + 1);
    s = s.substr(0, slash);
    if (p.proto != "tcp" && p.proto != "udp") return std::nullopt;
  }
  auto colon = s.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto host = port_number(s.substr(0, colon));
  auto inside = port_number(s.substr(colon + 1));
  if (!host || !inside) return std::nullopt;
  p.host_port = *host;
  p.port = *inside;
  return p;
}

namespace detail {

void apply_network_mode(Spec& spec, bool namespaces_written) {
  auto& nss = spec.linux.namespaces;
  auto is_net = [](const isolation::Namespace& n) { return n.type == isolation::NsType::kNetwork; };
  const Network& net = spec.vsrv.network;
  if (net.mode == "host" && !namespaces_written) {
    // The base's (default) network namespace gives way; one the text asks
    // for is a contradiction validation reports.
    nss.erase(std::remove_if(nss.begin(), nss.end(), is_net), nss.end());
  } else if (net.mode == "ns" && !net.path.empty()) {
    auto it = std::find_if(nss.begin(), nss.end(), is_net);
    if (it == nss.end()) {
      nss.push_back(isolation::Namespace{isolation::NsType::kNetwork, net.path});
    } else {
      it->path = net.path;
    }
  }
}

}  // namespace detail

}  // namespace vsrv::spec
