// tcrmgr: the command-line client of the original, driving a server through
// RemoteDB. Subcommands, options and output formats follow
// spec/server-options.md §4; errors print `tcrmgr: error: <code>: <message>`
// (code = the original's error number) and exit 1.
#include <unistd.h>

#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "client/remote_db.h"
#include "client/socket.h"
#include "client/tcrmgr_args.h"
#include "common/args.h"
#include "ulog/export_line.h"
#include "ulog/record.h"

namespace tt::tcrmgr {
namespace {

// The original's error numbers (tcrdb ecodes), kept so scripts that match them work.
int ErrorCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return 1;
    case Status::Code::kNetwork:
      return 5;
    case Status::Code::kTimeout:
      return 5;
    case Status::Code::kProtocol:
      return 5;
    case Status::Code::kExists:
      return 6;
    case Status::Code::kNotFound:
      return 7;
    default:
      return 9999;
  }
}

int Fail(const Status& s, int code = 0) {
  if (code == 0) code = ErrorCode(s);
  std::string message = s.message().empty() ? s.ToString() : s.message();
  fprintf(stderr, "tcrmgr: error: %d: %s\n", code, message.c_str());
  return 1;
}

int Usage(const std::string& reason) {
  if (!reason.empty()) fprintf(stderr, "tcrmgr: %s\n\n", reason.c_str());
  fputs(UsageText().c_str(), stderr);
  return 1;
}

void Print(std::string_view data) { fwrite(data.data(), 1, data.size(), stdout); }

// Shared state of the database subcommands.
struct Context {
  const Args& args;
  RemoteDB db;
  bool sx = false;
  bool px = false;
  bool pz = false;
  std::optional<char> sep;

  explicit Context(const Args& a) : args(a) {}

  // Decodes positional argument `i` as data (-sx / -sep); false if not hex.
  bool Data(size_t i, std::string* out) const {
    std::optional<std::string> d = DecodeArgument(args.positional[i], sx, sep);
    if (!d) return false;
    *out = std::move(*d);
    return true;
  }
  std::string Show(std::string_view data) const { return FormatData(data, px, sep); }
};

Status OpenDb(Context* ctx) {
  int port = static_cast<int>(ParseDecimalPrefix(ctx->args.Value("port", "1978")));
  double timeout = std::atof(ctx->args.Value("timeout", "0").c_str());
  const std::string& host = ctx->args.positional[0];
  Endpoint ep{host, port, timeout};
  if (host.find(':') != std::string::npos || host.find('#') != std::string::npos) {
    ep = ParseHostExpr(host, port, timeout);
  }
  return ctx->db.Open(ep.host, ep.port, ep.timeout_s);
}

int RunInform(Context& c) {
  if (c.args.Has("st")) {
    std::string text;
    Status s = c.db.Stat(&text);
    if (!s.ok()) return Fail(s);
    Print(text);
    return 0;
  }
  uint64_t rnum = 0, size = 0;
  Status s = c.db.Rnum(&rnum);
  if (s.ok()) s = c.db.Size(&size);
  if (!s.ok()) return Fail(s);
  printf("record number: %" PRIu64 "\n", rnum);
  printf("file size: %" PRIu64 "\n", size);
  return 0;
}

int RunPut(Context& c) {
  std::string key, value;
  if (!c.Data(1, &key) || !c.Data(2, &value)) return Usage("invalid hex string");
  const Args& a = c.args;
  if (a.Has("dai")) {
    int32_t sum = 0;
    Status s = c.db.AddInt(key, static_cast<int32_t>(ParseDecimalPrefix(value)), &sum);
    if (!s.ok()) return Fail(s);
    printf("%d\n", sum);
    return 0;
  }
  if (a.Has("dad")) {
    double sum = 0;
    Status s = c.db.AddDouble(key, std::atof(value.c_str()), &sum);
    if (!s.ok()) return Fail(s);
    printf("%.6f\n", sum);
    return 0;
  }
  Status s;
  if (a.Has("dk")) {
    s = c.db.PutKeep(key, value);
  } else if (a.Has("dc")) {
    s = c.db.PutCat(key, value);
  } else if (a.Has("ds")) {
    int64_t width = ParseDecimalPrefix(a.Value("ds"));
    if (width < 0 || width > INT32_MAX) return Usage("-ds width must be between 0 and 2^31-1");
    s = c.db.PutShl(key, value, static_cast<int32_t>(width));
  } else {
    s = c.db.Put(key, value);
  }
  return s.ok() ? 0 : Fail(s);
}

int RunOut(Context& c) {
  std::string key;
  if (!c.Data(1, &key)) return Usage("invalid hex string");
  Status s = c.db.Out(key);
  return s.ok() ? 0 : Fail(s);
}

int RunGet(Context& c) {
  std::string key, value;
  if (!c.Data(1, &key)) return Usage("invalid hex string");
  Status s = c.db.Get(key, &value);
  if (!s.ok()) return Fail(s);
  Print(c.Show(value));
  if (!c.pz) putchar('\n');
  return 0;
}

int RunMget(Context& c) {
  std::vector<std::string> keys;
  for (size_t i = 1; i < c.args.positional.size(); ++i) {
    std::string k;
    if (!c.Data(i, &k)) return Usage("invalid hex string");
    keys.push_back(std::move(k));
  }
  std::vector<std::pair<std::string, std::string>> found;
  Status s = c.db.MGet(keys, &found);
  if (!s.ok()) return Fail(s);
  for (const auto& [k, v] : found) {
    Print(c.Show(k));
    putchar('\t');
    Print(c.Show(v));
    putchar('\n');
  }
  return 0;
}

int RunList(Context& c) {
  const Args& a = c.args;
  int64_t max = a.Has("m") ? ParseDecimalPrefix(a.Value("m")) : -1;
  bool pv = a.Has("pv");
  auto print_key = [&](const std::string& key) -> Status {
    Print(c.Show(key));
    if (pv) {
      std::string value;
      Status s = c.db.Get(key, &value);
      if (s.ok()) {
        putchar('\t');
        Print(c.Show(value));
      } else if (!s.IsNotFound()) {
        return s;
      }
    }
    putchar('\n');
    return Status::Ok();
  };
  if (a.Has("fm")) {
    std::string prefix = *DecodeArgument(a.Value("fm"), false, c.sep);
    std::vector<std::string> keys;
    int32_t limit = max < 0 ? -1 : (max > INT32_MAX ? INT32_MAX : static_cast<int32_t>(max));
    Status s = c.db.FwmKeys(prefix, limit, &keys);
    if (!s.ok()) return Fail(s);
    for (const std::string& k : keys) {
      s = print_key(k);
      if (!s.ok()) return Fail(s);
    }
    return 0;
  }
  Status s = c.db.IterInit();
  if (!s.ok()) return Fail(s);
  int64_t count = 0;
  std::string key;
  while (max < 0 || count < max) {
    s = c.db.IterNext(&key);
    if (s.IsNotFound()) break;
    if (!s.ok()) return Fail(s);
    s = print_key(key);
    if (!s.ok()) return Fail(s);
    ++count;
  }
  return 0;
}

int RunExt(Context& c) {
  const std::string& name = c.args.positional[1];
  std::string key, value;
  if (c.args.positional.size() > 2 && !c.Data(2, &key)) return Usage("invalid hex string");
  if (c.args.positional.size() > 3 && !c.Data(3, &value)) return Usage("invalid hex string");
  uint32_t opts = 0;
  if (c.args.Has("xlr")) opts |= 1;
  if (c.args.Has("xlg")) opts |= 2;
  std::string result;
  Status s = c.db.Ext(name, opts, key, value, &result);
  if (!s.ok()) return Fail(s);
  Print(c.Show(result));
  if (!c.pz) putchar('\n');
  return 0;
}

int RunMisc(Context& c) {
  const std::string& name = c.args.positional[1];
  std::vector<std::string> margs;
  for (size_t i = 2; i < c.args.positional.size(); ++i) {
    std::string arg;
    if (!c.Data(i, &arg)) return Usage("invalid hex string");
    margs.push_back(std::move(arg));
  }
  std::vector<std::string> result;
  Status s = c.db.Misc(name, margs, c.args.Has("mnu") ? 1 : 0, &result);
  if (!s.ok()) return Fail(s);
  for (const std::string& e : result) {
    Print(c.Show(e));
    putchar('\n');
  }
  return 0;
}

int RunImportTsv(Context& c) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (c.args.positional.size() > 1) {
    file.open(c.args.positional[1], std::ios::binary);
    if (!file) {
      return Fail(Status::IoError("cannot open " + c.args.positional[1]), 9999);
    }
    in = &file;
  }
  bool nr = c.args.Has("nr");
  bool sc = c.args.Has("sc");
  std::string line;
  int64_t count = 0;
  while (std::getline(*in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string key = *DecodeArgument(std::string_view(line).substr(0, tab), false, c.sep);
    std::string value = *DecodeArgument(std::string_view(line).substr(tab + 1), false, c.sep);
    if (sc) {
      for (char& ch : key) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      }
    }
    Status s = nr ? c.db.PutNr(key, value) : c.db.Put(key, value);
    if (!s.ok()) return Fail(s);
    ++count;
    if (count % 1000 == 0) {
      putchar('.');
      fflush(stdout);
      if (count % 50000 == 0) printf(" (%08" PRId64 ")\n", count);
    }
  }
  if (count % 50000 != 0) printf(" (%08" PRId64 ")\n", count);
  return 0;
}

int RunRestore(Context& c) {
  std::optional<uint64_t> ts = ParseTimestampArg(c.args.Value("ts", "0"));
  if (!ts) return Usage("invalid -ts value");
  Status s = c.db.Restore(c.args.positional[1], *ts, c.args.Has("rcc") ? 1 : 0);
  return s.ok() ? 0 : Fail(s);
}

int RunSetMst(Context& c) {
  std::optional<uint64_t> ts = ParseTimestampArg(c.args.Value("ts", "0"));
  if (!ts) return Usage("invalid -ts value");
  int64_t mport = ParseDecimalPrefix(c.args.Value("mport", "1978"));
  if (mport < 0 || mport > INT32_MAX) return Usage("invalid -mport value");
  std::string mhost = c.args.positional.size() > 1 ? c.args.positional[1] : "";
  Status s = c.db.SetMst(mhost, static_cast<int32_t>(mport), *ts, c.args.Has("rcc") ? 1 : 0);
  return s.ok() ? 0 : Fail(s);
}

int RunRepl(Context& c) {
  std::optional<uint64_t> ts = ParseTimestampArg(c.args.Value("ts", "0"));
  if (!ts) return Usage("invalid -ts value");
  int64_t sid = ParseDecimalPrefix(c.args.Value("sid", "0"));
  bool ph = c.args.Has("ph");
  uint32_t mid = 0;
  Status s = c.db.ReplStart(*ts, sid, &mid);
  if (!s.ok()) return Fail(s);
  for (;;) {
    UlogRecord record;
    bool nop = false;
    s = c.db.ReplNext(&record, &nop, 60);
    if (!s.ok()) return Fail(s);
    if (nop) continue;
    // Server ids are 16 bits in the file form (1...65535); the stream's 32-bit
    // master id is stored like the origin's.
    record.mid = static_cast<uint16_t>(mid);
    if (ph) {
      Print(FormatExportLine(record));
    } else {
      std::string file_record;
      EncodeFileRecord(record, &file_record);
      Print(file_record);
    }
    fflush(stdout);
  }
}

int RunDbCommand(const Args& args) {
  Context c(args);
  c.sx = args.Has("sx");
  c.px = args.Has("px");
  c.pz = args.Has("pz");
  if (args.Has("sep")) {
    c.sep = ParseSeparator(args.Value("sep"));
    if (!c.sep) return Usage("-sep needs a character");
  }
  Status s = OpenDb(&c);
  if (!s.ok())
    return Fail(
        s, s.code() == Status::Code::kNetwork && s.message().find("resolve") != std::string::npos
               ? 2
               : 3);
  const std::string& cmd = args.command;
  int rc;
  if (cmd == "inform") {
    rc = RunInform(c);
  } else if (cmd == "put") {
    rc = RunPut(c);
  } else if (cmd == "out") {
    rc = RunOut(c);
  } else if (cmd == "get") {
    rc = RunGet(c);
  } else if (cmd == "mget") {
    rc = RunMget(c);
  } else if (cmd == "list") {
    rc = RunList(c);
  } else if (cmd == "ext") {
    rc = RunExt(c);
  } else if (cmd == "misc") {
    rc = RunMisc(c);
  } else if (cmd == "importtsv") {
    rc = RunImportTsv(c);
  } else if (cmd == "restore") {
    rc = RunRestore(c);
  } else if (cmd == "setmst") {
    rc = RunSetMst(c);
  } else if (cmd == "repl") {
    rc = RunRepl(c);
  } else {
    Status r;
    if (cmd == "sync") {
      r = c.db.Sync();
    } else if (cmd == "optimize") {
      r = c.db.Optimize(args.positional.size() > 1 ? args.positional[1] : "");
    } else if (cmd == "vanish") {
      r = c.db.Vanish();
    } else {  // copy
      r = c.db.Copy(args.positional[1]);
    }
    rc = r.ok() ? 0 : Fail(r);
  }
  if (fflush(stdout) != 0 && rc == 0) {
    return Fail(Status::IoError("writing to standard output failed"), 9999);
  }
  return rc;
}

// -- http ---------------------------------------------------------------

// Appends the next chunk received on `fd` to *buf, or sets *eof at end of stream.
Status ReadMore(int fd, const Deadline& deadline, std::string* buf, bool* eof) {
  char chunk[65536];
  size_t got = 0;
  Status s = ReceiveSome(fd, chunk, sizeof chunk, deadline, "receiving the HTTP response", &got);
  if (!s.ok()) return s;
  buf->append(chunk, got);
  *eof = got == 0;
  return Status::Ok();
}

std::string Lower(std::string s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

int RunHttp(const Args& args) {
  const std::string& url = args.positional[0];
  constexpr std::string_view kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    return Usage("only http:// URLs are supported");
  }
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  Endpoint ep = ParseHostExpr(authority, 80, std::atof(args.Value("timeout", "0").c_str()));
  int fd = -1;
  Status s = ConnectTcp(ep.host, ep.port, ep.timeout_s, &fd, "the HTTP server");
  if (!s.ok()) return Fail(s, 3);
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n";
  for (const std::vector<std::string>& h : args.pairs) request += h[0] + ": " + h[1] + "\r\n";
  request += "\r\n";
  Deadline deadline = Deadline::After(ep.timeout_s);
  s = SendAll(fd, request, deadline, "sending the HTTP request");
  // Head first (bounded), then the body by Content-Length, chunks, or until EOF.
  std::string buf;
  bool eof = false;
  size_t head_end = std::string::npos;
  while (s.ok() && (head_end = buf.find("\r\n\r\n")) == std::string::npos && !eof) {
    if (buf.size() > (1 << 20)) s = Status::Protocol("HTTP response header over 1 MiB");
    if (s.ok()) s = ReadMore(fd, deadline, &buf, &eof);
  }
  if (s.ok() && head_end == std::string::npos) s = Status::Protocol("incomplete HTTP response");
  if (!s.ok()) {
    close(fd);
    return Fail(s);
  }
  std::string head = buf.substr(0, head_end);
  std::string body = buf.substr(head_end + 4);
  std::optional<uint64_t> content_length;
  bool chunked = false;
  std::string headers_out;
  size_t pos = 0;
  while (pos <= head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    headers_out += line + "\n";
    size_t colon = line.find(':');
    if (pos > 0 && colon != std::string::npos) {
      std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") content_length = std::strtoull(value.c_str(), nullptr, 10);
      if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) {
        chunked = true;
      }
    }
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  if (args.Has("ih")) {
    Print(headers_out);
    putchar('\n');
  }
  if (chunked) {
    // Decode in place as chunks arrive: size line, data, CRLF ... 0-size chunk.
    std::string decoded;
    size_t at = 0;
    for (;;) {
      size_t eol = body.find("\r\n", at);
      if (eol == std::string::npos) {
        if (eof) break;
        s = ReadMore(fd, deadline, &body, &eof);
        if (!s.ok()) break;
        continue;
      }
      uint64_t size = std::strtoull(body.substr(at, eol - at).c_str(), nullptr, 16);
      if (size == 0) break;
      if (body.size() < eol + 2 + size + 2) {
        if (eof) break;
        s = ReadMore(fd, deadline, &body, &eof);
        if (!s.ok()) break;
        continue;
      }
      Print(std::string_view(body).substr(eol + 2, size));
      at = eol + 2 + size + 2;
    }
  } else {
    while (s.ok() && !eof && (!content_length || body.size() < *content_length)) {
      s = ReadMore(fd, deadline, &body, &eof);
    }
    if (content_length && body.size() > *content_length) body.resize(*content_length);
    Print(body);
  }
  close(fd);
  if (!s.ok()) return Fail(s);
  fflush(stdout);
  return 0;
}

int Main(int argc, char** argv) {
  if (argc >= 2) {
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
      fputs(UsageText().c_str(), stdout);
      return 0;
    }
  }
  Args args;
  Status s = ParseArgs(argc, argv, &args);
  if (!s.ok()) return Usage(argc < 2 ? "" : s.message());
  if (args.command == "version") {
    printf("Tokyo Tyrant version 1.1.41 (324:0.91) for Linux\n");
    printf("tcrmgr of ttserver %s, a compatible successor\n", TT_VERSION);
    return 0;
  }
  if (args.command == "http") return RunHttp(args);
  return RunDbCommand(args);
}

}  // namespace
}  // namespace tt::tcrmgr

int main(int argc, char** argv) { return tt::tcrmgr::Main(argc, argv); }
