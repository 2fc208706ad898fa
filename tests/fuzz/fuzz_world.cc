#include "tests/fuzz/fuzz_world.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/logging.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/ttserver/session_world.h"

namespace tt::fuzz {

namespace {

// A world over `name`, opened on first use and kept for the process.
testing::SessionWorld& World(const char* name) {
  auto world = std::make_unique<testing::SessionWorld>();
  Status s = world->Open(name);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot open the fuzz store %s: %s\n", name, s.ToString().c_str());
    std::abort();
  }
  // Paths chosen by the input must not reach the file system of the
  // machine running the fuzzer: copy writes anywhere, restore reads anywhere.
  world->context_.mask.Apply("copy,restore", true);
  return *world.release();
}

// Removes the scratch directory at exit.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    namespace fs = std::filesystem;
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    path_ = (base / ("tt-fuzz-" + std::to_string(getpid()))).string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

void QuietLogs() {
  static const bool configured = ConfigureLog("/dev/null", LogLevel::kSystem).ok();
  TT_FUZZ_CHECK(configured);
}

ServerContext* PrepareContext(bool ordered, bool small_limits) {
  // In-memory stores; a hash with few buckets, since it is emptied for every input.
  static testing::SessionWorld& hash_world = World("*#bnum=1021");
  static testing::SessionWorld& tree_world = World("%#bnum=1021");
  testing::SessionWorld& world = ordered ? tree_world : hash_world;
  TT_FUZZ_CHECK(world.store_->Clear().ok());
  world.context_.limits = Limits{};
  if (small_limits) {
    world.context_.limits.max_key = 16;
    world.context_.limits.max_value = 64;
    world.context_.limits.mc_item_max = 64;  // never above max_value, as the options require
  }
  return &world.context_;
}

const std::string& ScratchDir() {
  static ScratchDirectory directory;
  return directory.path();
}

void WriteScratchFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  TT_FUZZ_CHECK(out.good());
}

bool ParseStreamInput(const uint8_t* data, size_t size, StreamInput* input) {
  if (size == 0) return false;
  QuietLogs();
  input->flags = data[0];
  input->extended = (data[0] & 1) != 0;
  input->stream = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return true;
}

void ReadStream(
    const StreamInput& input,
    const std::function<void(ReplItem item, const UlogRecord& record, bool replace)>& on_item) {
  BufferSource source(input.stream);
  UlogRecord record;
  for (;;) {
    const size_t before = source.remaining();
    ReplItem item = ReplItem::kNop;
    bool replace = false;
    if (!ReadReplItem(source, input.extended, "the fuzzed master", &item, &record, &replace).ok()) {
      return;
    }
    TT_FUZZ_CHECK(source.remaining() < before);
    on_item(item, record, replace);
  }
}

}  // namespace tt::fuzz
