#include "selection.hpp"

#include "peers.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

namespace rill_bench {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_peer_filter(const std::string& f) {
  for (const auto& p : peers())
    if (f == p.key) return true;
  return is_reference_key(f);
}

bool selected(const cell& c, const std::vector<std::string>& filters) {
  bool any_row = false, row_hit = false, any_peer = false, peer_hit = false;
  for (const auto& raw : filters) {
    const std::string f = lower(raw);
    if (is_peer_filter(f)) {
      any_peer = true;
      peer_hit |= f == lower(c.peer);
    } else {
      any_row = true;
      row_hit |= f == lower(c.id) || f == lower(c.section);
    }
  }
  return (!any_row || row_hit) && (!any_peer || peer_hit);
}

}  // namespace

std::vector<const cell*> select_cells(const registry& all, const std::vector<std::string>& filters) {
  const std::vector<std::string> sections = {"workloads", "size",  "scaling", "select", "timeout",
                                             "batch",     "shared", "floor",   "oneshot", "watch",
                                             "broadcast"};
  // Rows in the order they were first registered: all_cells() registers
  // rill's cells first, so rows follow rill's order.
  std::map<std::string, std::size_t> row_order;
  for (const auto& c : all) row_order.emplace(c.section + "/" + c.id, row_order.size());
  auto section_rank = [&](const std::string& s) {
    return static_cast<std::size_t>(std::find(sections.begin(), sections.end(), s) - sections.begin());
  };
  auto peer_rank = [&](const std::string& key) {
    for (std::size_t i = 0; i < peers().size(); ++i)
      if (key == peers()[i].key) return i;
    return peers().size();
  };
  auto id_rank = [](const std::string& id) {  // W1 < W2 < ... < W13
    if (id.size() > 1 && id[0] == 'W' && std::isdigit(static_cast<unsigned char>(id[1]))) return std::stoul(id.substr(1));
    return 1000ul;
  };
  auto rank = [&](const cell* c) {
    return std::make_tuple(section_rank(c->section), id_rank(c->id), row_order[c->section + "/" + c->id],
                           peer_rank(c->peer));
  };
  std::vector<const cell*> cells;
  for (const auto& c : all)
    if (selected(c, filters)) cells.push_back(&c);
  std::stable_sort(cells.begin(), cells.end(), [&](const cell* a, const cell* b) { return rank(a) < rank(b); });
  return cells;
}

}  // namespace rill_bench
