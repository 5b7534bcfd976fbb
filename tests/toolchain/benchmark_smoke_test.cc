// Google Benchmark from Debian: a registered benchmark runs and reports iterations.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <string>

namespace {

void BM_StringAppend(benchmark::State& state) {
  for (auto _ : state) {
    std::string s;
    for (int i = 0; i < 64; ++i) s.push_back('x');
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StringAppend);

class CountingReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) iterations += run.iterations;
  }
  int64_t iterations = 0;
};

TEST(BenchmarkSmoke, RunsRegisteredBenchmark) {
  int argc = 2;
  char arg0[] = "bench";
  char arg1[] = "--benchmark_min_time=0.01";
  char* argv[] = {arg0, arg1, nullptr};
  benchmark::Initialize(&argc, argv);
  CountingReporter reporter;
  EXPECT_EQ(benchmark::RunSpecifiedBenchmarks(&reporter), 1u);
  EXPECT_GT(reporter.iterations, 0);
}

}  // namespace
