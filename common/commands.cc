#include "common/commands.h"

namespace tt {

std::string_view CommandName(uint8_t id) {
  const int index = CommandIndex(id);
  return index < 0 ? "(unknown)" : kCommands[index].name;
}

}  // namespace tt
