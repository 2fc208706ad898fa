// Replacing a small file so that a crash leaves either the old contents or
// the new ones, never a mixture: the checkpoint of an update log and a
// slave's replication timestamp (.rts) are written this way.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tt {

// Writes `contents` to "<path>.tmp", fsyncs it, renames it over `path` and
// fsyncs the directory, so the rename survives a power loss too. On failure
// `path` keeps its previous contents (a stale "<path>.tmp" may remain; the
// next call truncates it). IoError names the step that failed.
Status ReplaceFileAtomically(const std::string& path, std::string_view contents);

}  // namespace tt
