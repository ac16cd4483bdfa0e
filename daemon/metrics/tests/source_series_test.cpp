#include "metrics/source_series.h"

#include <gtest/gtest.h>

#include "metrics/metrics.h"

namespace newsd::metrics {
namespace {

using Family = SourceRegistry::Family;

std::string text(const SourceRegistry& r, Family f) {
  std::string out;
  r.write(f, out);
  return out;
}

TEST(SourceSeries, WritesLabelsInNameOrderAsPrometheusCppDid) {
  SourceRegistry r;
  auto s = r.get("feed");
  s->fetched("not_modified", 0.002, 0);
  s->fetched("200", 0.3, 1500);
  s->fetched("200", 0.001, 500);
  s->post(SourceSeries::Post::duplicate, 2);
  s->parse_error("rss");
  EXPECT_EQ(text(r, Family::fetches),
            "# HELP newsd_fetches_total HTTP fetches by source and outcome (HTTP status, "
            "not_modified, or error class).\n"
            "# TYPE newsd_fetches_total counter\n"
            "newsd_fetches_total{outcome=\"not_modified\",source=\"feed\"} 1\n"
            "newsd_fetches_total{outcome=\"200\",source=\"feed\"} 2\n");
  const std::string posts = text(r, Family::posts);
  EXPECT_NE(posts.find("newsd_posts_total{result=\"duplicate\",source=\"feed\"} 2\n"),
            std::string::npos);
  EXPECT_EQ(posts.find("result=\"new\""), std::string::npos);  // never written: absent
  EXPECT_NE(text(r, Family::parse_errors)
                .find("newsd_parse_errors_total{format=\"rss\",source=\"feed\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text(r, Family::fetch_bytes).find("newsd_fetch_bytes_total{source=\"feed\"} 2000\n"),
            std::string::npos);
}

TEST(SourceSeries, HistogramBucketsAreCumulativeAndAgreeWithTheCount) {
  SourceRegistry r;
  auto s = r.get("h");
  for (const double d : {0.001, 0.005, 0.02, 0.3, 7.0, 100.0}) s->fetched("200", d, 0);
  const std::string h = text(r, Family::fetch_duration);
  EXPECT_NE(h.find("# TYPE newsd_fetch_duration_seconds histogram\n"), std::string::npos);
  // 0.005 is inside the 0.005 bucket (le = less or equal).
  EXPECT_NE(h.find("newsd_fetch_duration_seconds_bucket{source=\"h\",le=\"0.005\"} 2\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("_bucket{source=\"h\",le=\"0.025\"} 3\n"), std::string::npos) << h;
  EXPECT_NE(h.find("_bucket{source=\"h\",le=\"10\"} 5\n"), std::string::npos) << h;
  EXPECT_NE(h.find("_bucket{source=\"h\",le=\"30\"} 5\n"), std::string::npos) << h;
  EXPECT_NE(h.find("_bucket{source=\"h\",le=\"+Inf\"} 6\n"), std::string::npos) << h;
  EXPECT_NE(h.find("newsd_fetch_duration_seconds_count{source=\"h\"} 6\n"), std::string::npos);
  EXPECT_NE(h.find("newsd_fetch_duration_seconds_sum{source=\"h\"} 107.326\n"), std::string::npos)
      << h;
}

TEST(SourceSeries, GaugesAppearOnlyOnceSet) {
  SourceRegistry r;
  auto s = r.get("g");
  EXPECT_EQ(text(r, Family::next_poll).find("{source="), std::string::npos);
  s->set_next_poll(1763856000.5);
  s->set_consecutive_failures(0);
  EXPECT_NE(text(r, Family::next_poll)
                .find("newsd_source_next_poll_timestamp_seconds{source=\"g\"} 1763856000.5\n"),
            std::string::npos);
  EXPECT_NE(text(r, Family::consecutive_failures).find("{source=\"g\"} 0\n"), std::string::npos);
  EXPECT_EQ(text(r, Family::last_success).find("{source="), std::string::npos);
}

TEST(SourceSeries, EscapesSourceNamesAndLabelValues) {
  SourceRegistry r;
  auto s = r.get("a\"b\\c\nd");
  s->parse_error("x\"y");
  EXPECT_NE(
      text(r, Family::parse_errors).find("{format=\"x\\\"y\",source=\"a\\\"b\\\\c\\nd\"} 1\n"),
      std::string::npos)
      << text(r, Family::parse_errors);
}

TEST(SourceSeries, HoldersOfOneNameShareItsSeriesWhichLeaveWithTheLastHolder) {
  SourceRegistry r;
  auto a = r.get("s");
  auto b = r.get("s");
  EXPECT_EQ(a.get(), b.get());
  a->post(SourceSeries::Post::new_post);
  b->post(SourceSeries::Post::new_post);
  EXPECT_NE(text(r, Family::posts).find("{result=\"new\",source=\"s\"} 2\n"), std::string::npos);
  a.reset();
  EXPECT_EQ(r.size(), 1u);
  b.reset();
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(text(r, Family::posts).find("source=\"s\""), std::string::npos);
  // A new holder of the name starts from zero.
  r.get("s")->post(SourceSeries::Post::new_post);
  EXPECT_EQ(r.size(), 0u);  // the temporary let go again
}

TEST(SourceSeries, ASeriesMayOutliveItsRegistry) {
  std::shared_ptr<SourceSeries> kept;
  {
    SourceRegistry r;
    kept = r.get("late");
  }
  kept->fetched("timeout", 30, 0);  // must not touch freed memory (ASan checks this)
  kept->parse_error("atom");
  kept.reset();
}

TEST(Exposition, PiecesAddUpToTheWholeExpositionWhateverTheirSize) {
  Metrics m;
  std::vector<std::shared_ptr<SourceSeries>> held;
  for (int i = 0; i < 300; ++i) {
    held.push_back(m.per_source.get("source-" + std::to_string(i)));
    held.back()->fetched(i % 3 == 0 ? "200" : "not_modified", 0.01 * i, i);
    held.back()->set_next_poll(1000 + i);
  }
  const auto strip_process = [](const std::string& t) {
    return t.substr(t.find("# HELP newsd_"));  // process_* values move between calls
  };
  const std::string whole = strip_process(m.serialize());
  EXPECT_NE(whole.find("source=\"source-299\""), std::string::npos);
  for (const std::size_t piece : {1ul, 100ul, 4096ul, 65536ul}) {
    Exposition e(m);
    std::string joined, part;
    std::size_t pieces = 0;
    while (true) {
      part.clear();
      if (!e.next(part, piece)) break;
      joined += part;
      ++pieces;
    }
    EXPECT_EQ(strip_process(joined), whole) << "piece size " << piece;
    if (piece == 4096) {
      EXPECT_GT(pieces, 10u);
    }
  }
}

TEST(Exposition, SourcesAddedOrRemovedBetweenPiecesNeitherRepeatNorBreakTheText) {
  Metrics m;
  std::vector<std::shared_ptr<SourceSeries>> held;
  for (int i = 0; i < 100; ++i) {
    held.push_back(m.per_source.get("s" + std::to_string(100 + i)));
    held.back()->post(SourceSeries::Post::parsed);
  }
  Exposition e(m);
  std::string joined, part;
  bool changed = false;
  while (e.next(part, 512)) {
    joined += part;
    part.clear();
    if (!changed && joined.find("newsd_posts_total{") != std::string::npos) {
      held.erase(held.begin() + 50, held.end());  // s150.. go away mid-family
      held.push_back(m.per_source.get("s000"));   // sorts before every source written
      held.back()->post(SourceSeries::Post::parsed);
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = joined.find("newsd_posts_total{", at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 101u);
  EXPECT_EQ(joined.find("source=\"s199\"}"), std::string::npos);
  // Each series at most once.
  EXPECT_EQ(joined.find("{result=\"parsed\",source=\"s100\"}"),
            joined.rfind("{result=\"parsed\",source=\"s100\"}"));
}

}  // namespace
}  // namespace newsd::metrics
