// Bounded-time fuzzing of every decoder: random bytes, and valid encodings mutated (bytes
// flipped, lengths overwritten with extremes, bytes inserted, removed, truncated), fed to
// every request/response decoder at every version (and a few outside the range), to the
// frame header parser and to the record batch decoder. Asserts: no crash (run it under ASan:
//   bazel test --copt=-fsanitize=address --linkopt=-fsanitize=address //kafka:codec_fuzz_test)
// and that whatever decodes re-encodes and decodes to the same struct.
//
// KEEL_FUZZ_SEED replays a run (the seed is printed); KEEL_FUZZ_SECONDS sets the budget
// (default 3).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kafka/all_messages_for_test.h"
#include "kafka/randomizer.h"
#include "kafka/record_batch.h"

namespace keel::kafka {
namespace {

struct Target {
  std::string name;
  int16_t min_version;
  int16_t max_version;
  std::function<std::string(std::mt19937_64&, int16_t)> sample;
  // Decodes; on success checks the re-encode property. Returns whether it decoded.
  std::function<bool(std::string_view, int16_t)> decode;
};

std::vector<Target> AllTargets() {
  std::vector<Target> targets;
  ForEachMessage([&](auto m) {
    using M = decltype(m);
    const ApiInfo* api = FindApi(static_cast<int16_t>(M::kApiKey));
    Target t;
    t.name = std::string(api->name) + (M::kIsRequest ? "Request" : "Response");
    t.min_version = api->min_version;
    t.max_version = api->max_version;
    t.sample = [](std::mt19937_64& rng, int16_t v) { return *Encode(RandomMessage<M>(rng, v), v); };
    t.decode = [name = t.name](std::string_view in, int16_t v) {
      absl::StatusOr<M> decoded = Decode<M>(in, v);
      if (!decoded.ok()) return false;
      absl::StatusOr<std::string> again = Encode(*decoded, v);
      EXPECT_TRUE(again.ok()) << name << " v" << v << ": " << again.status();
      if (!again.ok()) return true;
      absl::StatusOr<M> twice = Decode<M>(*again, v);
      EXPECT_TRUE(twice.ok() && *twice == *decoded) << name << " v" << v;
      return true;
    };
    targets.push_back(std::move(t));
  });
  return targets;
}

void Mutate(std::mt19937_64& rng, std::string& s) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    size_t pos = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 6) {
      case 0:  // flip bits
        if (!s.empty()) s[pos] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1: {  // an extreme length-like value
        static const char kExtremes[] = {'\x00', '\x01', '\x7f', '\x80', '\xff', '\xfe'};
        if (!s.empty()) s[pos] = kExtremes[rng() % sizeof(kExtremes)];
        break;
      }
      case 2:  // insert a byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng()));
        break;
      case 3:  // remove a byte
        if (!s.empty()) s.erase(pos, 1);
        break;
      case 4:  // truncate
        s.resize(pos);
        break;
      default: {  // four bytes of 0xff or 0x7f: a huge or negative INT32 length
        char fill = (rng() % 2 == 0) ? '\xff' : '\x7f';
        for (size_t j = pos; j < s.size() && j < pos + 4; ++j) s[j] = fill;
        break;
      }
    }
  }
}

std::string RandomBytes(std::mt19937_64& rng, size_t max_bytes) {
  std::string s(rng() % (max_bytes + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string SampleBatches(std::mt19937_64& rng) {
  std::string out;
  int n = 1 + static_cast<int>(rng() % 2);
  for (int b = 0; b < n; ++b) {
    RecordBatch batch;
    int records = static_cast<int>(rng() % 4);
    for (int i = 0; i < records; ++i) {
      Record r;
      r.offset_delta = i;
      r.timestamp_delta = static_cast<int64_t>(rng() % 1000);
      if (rng() % 3 != 0) r.key = RandomBytes(rng, 8);
      if (rng() % 5 != 0) r.value = RandomBytes(rng, 40);
      if (rng() % 2 == 0) r.headers.push_back({"h", RandomBytes(rng, 4)});
      batch.records.push_back(r);
    }
    batch.header.last_offset_delta = records > 0 ? records - 1 : 0;
    out += *EncodeBatch(batch, static_cast<Compression>(rng() % 5));
  }
  return out;
}

TEST(CodecFuzzTest, DecodersSurviveRandomAndMutatedInput) {
  uint64_t seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (const char* env = std::getenv("KEEL_FUZZ_SEED")) seed = std::strtoull(env, nullptr, 10);
  double seconds = 3;
  if (const char* env = std::getenv("KEEL_FUZZ_SECONDS")) seconds = std::atof(env);
  std::printf("codec fuzz: KEEL_FUZZ_SEED=%llu for %.1f s\n", static_cast<unsigned long long>(seed),
              seconds);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  const std::vector<Target> targets = AllTargets();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));

  BatchLimits batch_limits;
  batch_limits.max_uncompressed_bytes = 1 << 20;
  long inputs = 0, decoded = 0, batch_inputs = 0, batches_decoded = 0, frames = 0;
  while (std::chrono::steady_clock::now() < deadline && !testing::Test::HasFailure()) {
    for (int round = 0; round < 64; ++round) {
      const Target& t = targets[rng() % targets.size()];
      int16_t v = static_cast<int16_t>(
          t.min_version + static_cast<int16_t>(rng() % (t.max_version - t.min_version + 1)));
      if (rng() % 50 == 0) v = static_cast<int16_t>(t.max_version + 1 + rng() % 3);
      std::string input;
      if (rng() % 4 == 0) {
        input = RandomBytes(rng, 64);
      } else {
        input = t.sample(rng, std::min(v, t.max_version));
        Mutate(rng, input);
      }
      ++inputs;
      if (t.decode(input, v)) ++decoded;

      // The same bytes as a whole request frame (header + body).
      std::string frame = RandomBytes(rng, 4) + input;
      if (rng() % 2 == 0) {
        frame = std::string("\x00\x12\x00\x03\x00\x00\x00\x01\x00\x01k\x00", 12) + input;
        Mutate(rng, frame);
      }
      absl::StatusOr<ParsedRequest> parsed = ParseRequest(frame);
      if (parsed.ok()) {
        EXPECT_LE(parsed->body.size(), frame.size());
      }
      ++frames;
    }
    for (int round = 0; round < 16; ++round) {
      std::string records = SampleBatches(rng);
      Mutate(rng, records);
      if (rng() % 2 == 0 && records.size() >= kBatchHeaderBytes) {
        // Skip the CRC check so the mutation reaches the records.
        BatchLimits unchecked = batch_limits;
        unchecked.verify_crc = false;
        absl::StatusOr<std::vector<RecordBatch>> out = DecodeBatches(records, unchecked);
        if (out.ok()) ++batches_decoded;
      } else {
        absl::StatusOr<std::vector<RecordBatch>> out = DecodeBatches(records, batch_limits);
        if (out.ok()) ++batches_decoded;
      }
      BatchLimits fetch = batch_limits;
      fetch.allow_truncated_tail = true;
      (void)SplitBatches(records, fetch);
      ++batch_inputs;
    }
  }
  std::printf(
      "codec fuzz: %ld message inputs (%ld decoded), %ld frames, %ld record-batch inputs "
      "(%ld decoded)\n",
      inputs, decoded, frames, batch_inputs, batches_decoded);
  EXPECT_GT(inputs, 1000);
  EXPECT_GT(decoded, 0);  // the mutator leaves some inputs valid: the check above ran
}

}  // namespace
}  // namespace keel::kafka
