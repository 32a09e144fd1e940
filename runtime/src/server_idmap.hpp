// vsrv.idmap: auto for one server: its range of host ids (idmap_pool.hpp)
// held for as long as its data exists, recorded in its state and its saved
// record, and made the maps of its user namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "prepare.hpp"
#include "undo.hpp"
#include "vsrv/runtime/options.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {

// Holds the server's range into p.idmap_base: when the server is re-created
// over its kept data (reuse), the range that data was made with, kept on
// failure; else a fresh one, recorded in st (written through store) before
// it is held, freed by undo. Then gives p.spec a user namespace of its own
// (added when the spec has none) mapping ids 0-65535 to the range, uids and
// gids alike.
void hold_id_range(const GlobalOptions& g, Prepared& p, State& st, const StateStore& store,
                   bool reuse, Undo& undo);

// The range recorded with the server's data (server.json), if any; read
// before that data is removed.
std::optional<uint32_t> saved_id_range(const GlobalOptions& g, const std::string& id);

// delete: frees the ranges id holds among those given.
void release_id_ranges(const GlobalOptions& g, const std::string& id,
                       std::optional<uint32_t> recorded, std::optional<uint32_t> saved);

}  // namespace vsrv::runtime
