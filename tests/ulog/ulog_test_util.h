// Helpers shared by the ulog tests: scratch directories and raw file access.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/ulog_test_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = buf.data();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(uint32_t number) const { return UlogFileName(path_, number); }

 private:
  std::string path_;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void AppendToFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string EncodeRecord(uint64_t ts, uint16_t sid, uint16_t mid, const std::string& body) {
  std::string out;
  EncodeFileRecord(UlogRecord{ts, sid, mid, body}, &out);
  return out;
}

// Every record from `start_ts` up to the current end of the log.
inline std::vector<UlogRecord> ReadAll(const std::string& dir, uint64_t start_ts = 0) {
  std::vector<UlogRecord> records;
  std::unique_ptr<UlogReader> reader;
  Status s = UlogReader::Open(dir, start_ts, &reader);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return records;
  UlogRecord rec;
  while ((s = reader->Next(&rec)).ok()) records.push_back(rec);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  return records;
}

}  // namespace tt
