#include "ulog/export_line.h"

#include <cstdint>

#include "common/commands.h"
#include "common/hex.h"

namespace tt {

std::string FormatExportLine(const UlogRecord& rec) {
  std::string out = std::to_string(rec.ts);
  out.push_back('\t');
  out.append(std::to_string(rec.sid)).push_back(':');
  out.append(std::to_string(rec.mid)).push_back('\t');
  if (rec.body.size() < 2) {
    out.append("[broken entry]");
  } else {
    out.append(RecordKindName(static_cast<uint8_t>(rec.body[1]))).push_back('\t');
    out.append(HexSpaced(rec.body));
  }
  out.push_back('\n');
  return out;
}

}  // namespace tt
