// Disk space for the memory-mapped part of a Kyoto Cabinet database file.
//
// A hash or tree database file is written through a shared memory map over
// its first `msiz` bytes (64 MiB unless the name's #msiz says otherwise);
// Kyoto Cabinet grows the file into the map with ftruncate, which leaves the
// new pages without disk blocks. On a full filesystem the first store into
// such a page cannot be backed and the kernel kills the process with SIGBUS,
// where a write beyond the map (pwrite) would only fail with ENOSPC. Blocks
// reserved for the whole mapped region beforehand (fallocate, the file's size
// unchanged) make a full disk an error Kyoto Cabinet reports. Kyoto Cabinet
// gives the blocks back whenever it truncates the file to its logical size
// (every synchronize, copy and clear), so PolyStore reserves again after each.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace tt {

// Reserves disk blocks for bytes [0, `bytes`) of the existing file `path`
// without changing its size. Ok when reserved, or when the filesystem cannot
// reserve space at all (nothing can be done there); IoError when the
// filesystem lacks the space (or another error), naming the file.
Status ReserveMappedRegion(const std::string& path, int64_t bytes);

}  // namespace tt
