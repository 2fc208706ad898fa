// Measures what Kyoto Cabinet's auto-transaction mode (a write-ahead log per
// operation, its own crash safety) costs, for the README's choice not to use
// it: N random 100-byte sets into a fresh database, with and without it.
//
//   bench_kc_autotran N DIR    (writes DIR/bench.kch and DIR/bench.kct)
#include <kcpolydb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

namespace kc = kyotocabinet;

// Sets per second of `count` random keys into `name`, or -1 if it cannot open.
double SetsPerSecond(const std::string& name, bool autotran, int count) {
  kc::PolyDB db;
  const uint32_t mode = kc::PolyDB::OWRITER | kc::PolyDB::OCREATE | kc::PolyDB::OTRUNCATE |
                        (autotran ? kc::PolyDB::OAUTOTRAN : 0);
  if (!db.open(name, mode)) return -1;
  std::mt19937_64 rng(1);
  const std::string value(100, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const std::string key = "key" + std::to_string(rng() % (2ull * count));
    db.set(key, value);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  db.close();
  return count / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[1]) <= 0) {
    std::fprintf(stderr, "usage: bench_kc_autotran N DIR\n");
    return 2;
  }
  const int count = std::atoi(argv[1]);
  const std::string dir = argv[2];
  for (const std::string& name : {dir + "/bench.kch#msiz=1g#bnum=4000000", dir + "/bench.kct"}) {
    for (bool autotran : {false, true}) {
      const double rate = SetsPerSecond(name, autotran, count);
      if (rate < 0) {
        std::fprintf(stderr, "bench_kc_autotran: cannot open %s\n", name.c_str());
        return 1;
      }
      std::printf("%s autotran=%d: %.0f sets/s\n", name.c_str(), autotran ? 1 : 0, rate);
    }
  }
  return 0;
}
