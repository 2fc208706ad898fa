#include "common/commands.h"

namespace tt {

std::string_view CommandName(uint8_t id) {
  switch (id) {
    case kCmdPut: return "put";
    case kCmdPutKeep: return "putkeep";
    case kCmdPutCat: return "putcat";
    case kCmdPutShl: return "putshl";
    case kCmdPutNr: return "putnr";
    case kCmdOut: return "out";
    case kCmdGet: return "get";
    case kCmdMget: return "mget";
    case kCmdVsiz: return "vsiz";
    case kCmdIterInit: return "iterinit";
    case kCmdIterNext: return "iternext";
    case kCmdFwmKeys: return "fwmkeys";
    case kCmdAddInt: return "addint";
    case kCmdAddDouble: return "adddouble";
    case kCmdExt: return "ext";
    case kCmdSync: return "sync";
    case kCmdOptimize: return "optimize";
    case kCmdVanish: return "vanish";
    case kCmdCopy: return "copy";
    case kCmdRestore: return "restore";
    case kCmdSetMst: return "setmst";
    case kCmdRnum: return "rnum";
    case kCmdSize: return "size";
    case kCmdStat: return "stat";
    case kCmdMisc: return "misc";
    case kCmdRepl: return "repl";
    default: return "(unknown)";
  }
}

}  // namespace tt
