#include "report_plot_data.hpp"

#include "peers.hpp"

#include <fmt/format.h>

#include <fstream>

namespace rill_bench {

void write_plot_data(const report& rep, const std::filesystem::path& dir) {
  const auto cols = built_peers();
  std::ofstream t(dir / "latest.dat");
  t << "id";
  for (auto* p : cols) t << ' ' << p->key << ' ' << p->key << "_min " << p->key << "_max";
  t << '\n';
  for (const auto& r : rep.rows) {
    if (r.section != "workloads") continue;
    t << r.id;
    for (auto* p : cols) {
      auto it = r.by_peer.find(p->key);
      if (it == r.by_peer.end() || !it->second->ok()) {
        t << " - - -";
      } else {
        const stats& s = it->second->value[0];
        t << fmt::format(" {:.6g} {:.6g} {:.6g}", s.median / 1e6, s.min / 1e6, s.max / 1e6);
      }
    }
    t << '\n';
  }
  std::ofstream q(dir / "latest-ratio.dat");
  q << "id ratio best_peer\n";
  for (const auto& r : rep.rows) {
    if (r.section != "workloads" && r.section != "size" && r.section != "scaling") continue;
    const auto ratio = r.ratio();
    if (!ratio) continue;
    // Short labels for the chart's x axis: "8prod", "64B".
    std::string id = r.id;
    if (id.rfind("producers-", 0) == 0) id = id.substr(10) + "prod";
    if (id.rfind("size-", 0) == 0) id = id.substr(5);
    q << id << ' ' << fmt::format("{:.4g}", *ratio) << ' ' << r.best_peer()->c->peer << '\n';
  }
}

}  // namespace rill_bench
