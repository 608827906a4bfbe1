#include "report.hpp"

#include "peers.hpp"

namespace rill_bench {

const cell_result* row::rill() const {
  auto it = by_peer.find("rill");
  return it == by_peer.end() ? nullptr : it->second;
}

const cell_result* row::best_peer() const {
  const cell_result* best = nullptr;
  for (const auto& [key, r] : by_peer) {
    if (key == "rill" || is_reference_key(key) || !r->ok()) continue;
    const bool better = !best || (r->c->higher_better ? r->value[0].median > best->value[0].median
                                                      : r->value[0].median < best->value[0].median);
    if (better) best = r;
  }
  return best;
}

std::optional<double> row::ratio() const {
  const cell_result* a = rill();
  const cell_result* b = best_peer();
  if (!a || !b || !a->ok() || a->value[0].median <= 0 || b->value[0].median <= 0) return std::nullopt;
  return a->c->higher_better ? a->value[0].median / b->value[0].median : b->value[0].median / a->value[0].median;
}

void build_rows(report& rep) {
  std::map<std::string, std::size_t> index;
  for (const auto& r : rep.results) {
    const std::string key = r.c->section + "/" + r.c->id;
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, rep.rows.size()).first;
      rep.rows.push_back(row{r.c->section, r.c->id, r.c->label, r.c->unit, {}});
    }
    rep.rows[it->second].by_peer[r.c->peer] = &r;
  }
}

}  // namespace rill_bench
