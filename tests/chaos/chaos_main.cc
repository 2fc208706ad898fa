// chaos: the randomized fault-injection harness (README, "Fault injection").
//
//   chaos [--seed S] [--faults N] [--kinds k1,k2,...] [--ulog-sync always|interval|none]
//         [--master-db kch|kct] [--writers N] [--rate W] [--dir D] [--keep]
//
// Runs real ttserver and tttail processes under a write load and a fault
// schedule drawn from the seed, then checks the outcome against the model of
// acknowledged writes. Exit status: 0 OK, 1 a check failed, 2 bad usage.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/chaos/chaos_run.h"

namespace {

int Usage(const std::string& why) {
  fprintf(stderr,
          "chaos: %s\n"
          "usage: chaos [--seed S] [--faults N] [--kinds k1,k2,...] "
          "[--ulog-sync always|interval|none] [--master-db kch|kct] [--writers N] "
          "[--rate W] [--dir D] [--keep]\n"
          "  --seed S      the schedule's seed (default: drawn, and printed)\n"
          "  --faults N    faults in the schedule (default 20)\n"
          "  --kinds ...   only these kinds of fault: %s\n"
          "  --ulog-sync   the master's and partner's update-log sync (default always)\n"
          "  --master-db   the master's database (default: kch for even seeds, kct for odd)\n"
          "  --writers N   writer threads (default 4), each --rate W writes/s (default 250)\n"
          "  --dir D       where the run's directory is made (default /tmp)\n"
          "  --keep        keep the run's files when it passes\n",
          why.c_str(), tt::chaos::KindNames().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  tt::chaos::ChaosOptions options;
  options.seed = std::random_device()() % 1000000 + 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--keep") {
      options.keep = true;
      continue;
    }
    if (arg == "--help") {
      Usage("the fault-injection harness (README, \"Fault injection\")");
      return 0;
    }
    if (i + 1 >= argc) return Usage(arg + " wants a value");
    const std::string value = argv[++i];
    char* end = nullptr;
    const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
    const bool numeric = !value.empty() && *end == '\0';
    if (arg == "--seed" && numeric) {
      options.seed = number;
    } else if (arg == "--faults" && numeric) {
      options.faults = static_cast<int>(number);
    } else if (arg == "--writers" && numeric && number > 0) {
      options.writers = static_cast<int>(number);
    } else if (arg == "--rate") {
      options.writes_per_second = std::strtod(value.c_str(), nullptr);
    } else if (arg == "--kinds") {
      if (!tt::chaos::ParseKinds(value, &options.kinds)) return Usage("unknown kind in " + value);
    } else if (arg == "--ulog-sync" &&
               (value == "always" || value == "interval" || value == "none")) {
      options.master_sync = value;
    } else if (arg == "--master-db" && (value == "kch" || value == "kct")) {
      options.master_db = value;
    } else if (arg == "--dir") {
      options.base_dir = value;
    } else {
      return Usage("bad option " + arg + " " + value);
    }
  }
  switch (tt::chaos::ChaosRun(options).Run()) {
    case tt::chaos::Verdict::kOk:
      return 0;
    case tt::chaos::Verdict::kFailed:
      return 1;
  }
  return 1;
}
