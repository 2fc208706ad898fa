// Replacing a small file so that a crash leaves either the old contents or
// the new ones, never a mixture: the checkpoint of an update log and a
// slave's replication timestamp (.rts) are written this way.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tt {

// What a replacement must survive.
enum class FileDurability {
  kPowerLoss,     // fsync the file and the directory (the default)
  kProcessCrash,  // no fsync: a kill -9 still sees the old or the new file whole
};

// Writes `contents` to "<path>.tmp", fsyncs it, renames it over `path` and
// fsyncs the directory, so the rename survives a power loss too (without the
// fsyncs with kProcessCrash). On failure `path` keeps its previous contents
// (a stale "<path>.tmp" may remain; the next call truncates it). IoError
// names the step that failed.
Status ReplaceFileAtomically(const std::string& path, std::string_view contents,
                             FileDurability durability = FileDurability::kPowerLoss);

}  // namespace tt
