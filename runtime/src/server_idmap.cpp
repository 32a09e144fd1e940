#include "server_idmap.hpp"

#include "saved_server.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/runtime/idmap_pool.hpp"

namespace vsrv::runtime {

namespace {

void map_to(spec::Spec& s, uint32_t base) {
  bool has_user = false;
  for (const auto& ns : s.linux.namespaces)
    has_user = has_user || ns.type == isolation::NsType::kUser;
  if (!has_user) s.linux.namespaces.push_back({isolation::NsType::kUser, ""});
  s.linux.uid_mappings = {{0, base, kIdRangeSize}};
  s.linux.gid_mappings = {{0, base, kIdRangeSize}};
}

}  // namespace

void hold_id_range(const GlobalOptions& g, Prepared& p, State& st, const StateStore& store,
                   bool reuse, Undo& undo) {
  IdmapPool pool(g.data, p.id_pool ? *p.id_pool : configured_id_pool(g));
  auto record = [&](uint32_t base) {
    st.idmap_base = base;
    store.write(st);
  };
  std::optional<uint32_t> kept = reuse ? saved_id_range(g, st.id) : std::nullopt;
  if (kept) {
    record(*kept);
    pool.claim(*kept, st.id);  // stays with the data when this create fails
    p.idmap_base = kept;
  } else {
    p.idmap_base = pool.allocate(st.id, record);
    undo.push(
        [data = g.data, base = *p.idmap_base, id = st.id] { release_id_range(data, base, id); });
  }
  map_to(p.spec, *p.idmap_base);
}

std::optional<uint32_t> saved_id_range(const GlobalOptions& g, const std::string& id) {
  try {
    if (auto saved = load_saved_server(g, id)) return saved->idmap_base;
  } catch (const Error&) {
    // A damaged record: the state's own record still tells.
  }
  return std::nullopt;
}

void release_id_ranges(const GlobalOptions& g, const std::string& id,
                       std::optional<uint32_t> recorded, std::optional<uint32_t> saved) {
  if (recorded) release_id_range(g.data, *recorded, id);
  if (saved && saved != recorded) release_id_range(g.data, *saved, id);
}

}  // namespace vsrv::runtime
