// How tttail prints a replication-stream record on standard output.
//
//   json line := "{" "\"ts\":" ts ",\"sid\":" sid ",\"op\":\"" name "\"" ",\"ok\":" bool
//                fields-of-the-kind "}" LF
//   fields by kind (each key / value / arg is a <string field>, see below):
//     put putkeep putcat putmeta  ,"key":K ,"value":V      (putmeta adds "flags", "expires_at")
//     putshl                      ,"key":K ,"value":V ,"width":N
//     out                         ,"key":K
//     addint                      ,"key":K ,"delta":N
//     adddouble                   ,"key":K ,"delta":X      (a JSON number, or null for NaN/inf)
//     optimize                    ,"params":P
//     misc                        ,"name":N ,"args":[A,...]  (or "args_base64":[...]
//                                  when the encoding is base64 or any arg is not UTF-8)
//     sync vanish copy ...        (nothing more)
//     a body that does not parse  ,"body_base64":"..."   ("ok" is null then)
//   <string field> "key" under Encoding::kText: "key":"<JSON string>" when the
//     bytes are valid UTF-8, else "key_base64":"<base64>"; under kBase64
//     always "key_base64". So a reader never mistakes one form for the other.
//
//   tsv line := the `ttulmgr export` line (ulog-and-replication.md §8.1).
#pragma once

#include <string>
#include <string_view>

#include "ulog/record.h"

namespace tt {

enum class TailFormat { kJson, kTsv };
enum class TailEncoding { kText, kBase64 };

// Standard base64 with padding (RFC 4648 §4) of `bytes`, appended to *out.
void AppendBase64(std::string_view bytes, std::string* out);
// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);
// `text` as a JSON string literal (quotes included), appended to *out.
// REQUIRES: IsValidUtf8(text).
void AppendJsonString(std::string_view text, std::string* out);

// The output line (LF included) for `record` in `format`. `master_sid` is the
// mid the TSV line shows, as `tcrmgr repl -ph` does (the wire form has no mid).
std::string FormatTailLine(const UlogRecord& record, TailFormat format, TailEncoding encoding,
                           uint32_t master_sid);

}  // namespace tt
