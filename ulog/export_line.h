// The text form of an update-log record that `ttulmgr export` and
// `tcrmgr repl -ph` print (ulog-and-replication.md §8.1):
//
//   line := ts TAB sid ":" mid TAB name TAB hex-spaced-body LF
//         | ts TAB sid ":" mid TAB "[broken entry]" LF     (body shorter than 2 bytes)
//
// ts, sid and mid in decimal; name is the command's name (put, out, misc, ...);
// the body as upper-case two-digit hex bytes separated by single spaces.
#pragma once

#include <string>

#include "ulog/record.h"

namespace tt {

// One export line (LF included) for `rec`.
std::string FormatExportLine(const UlogRecord& rec);

}  // namespace tt
