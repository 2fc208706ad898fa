#include "tests/integration/protocol_support.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/coding.h"

namespace tt::testing {

bool AgainstReferenceMemcached() {
  const char* reference = std::getenv("TT_TEST_REFERENCE");
  return reference != nullptr && std::string_view(reference) == "memcached";
}

bool AgainstReferenceRedis() {
  const char* reference = std::getenv("TT_TEST_REFERENCE");
  return reference != nullptr && std::string_view(reference) == "redis";
}

std::unique_ptr<ServerProcess> StartTtserver(const TempDir& dir,
                                             const std::vector<std::string>& args) {
  std::vector<std::string> full = {"-log", dir.Join("log")};
  full.insert(full.end(), args.begin(), args.end());
  return std::make_unique<ServerProcess>(full, dir.Join("casket.kch"));
}

std::vector<std::string> UlogArgs(const TempDir& dir) {
  std::filesystem::create_directories(dir.Join("ulog"));
  return {"-ulog", dir.Join("ulog"), "-sid", "1"};
}

std::unique_ptr<ServerProcess> StartMemcachedProtocolServer(const TempDir& dir,
                                                            const std::vector<std::string>& args) {
  if (!AgainstReferenceMemcached()) return StartTtserver(dir, args);
  const int port = FreePort();
  // -u: memcached refuses to run as root without it. -U 0: no UDP port.
  return ServerProcess::StartProgram({"/usr/bin/memcached", "-u", "nobody", "-l", "127.0.0.1", "-p",
                                      std::to_string(port), "-U", "0"},
                                     port);
}

std::unique_ptr<ServerProcess> StartRespServer(const TempDir& dir,
                                               const std::vector<std::string>& args) {
  if (!AgainstReferenceRedis()) return StartTtserver(dir, args);
  const int port = FreePort();
  return ServerProcess::StartProgram(
      {"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no", "--dir", dir.path(), "--logfile", dir.Join("redis.log")},
      port);
}

std::string RespCommand(const std::vector<std::string>& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& word : words) {
    out += "$" + std::to_string(word.size()) + "\r\n" + word + "\r\n";
  }
  return out;
}

int RedisCli(int port, const std::vector<std::string>& args, std::string* out, std::string* err,
             const std::string& stdin_data) {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, out, err, stdin_data);
}

int RunClientScript(const std::string& script, int port, std::string* output) {
  const std::string path = std::string(CLIENTS_DIR) + "/" + script;
  const std::string interpreter = script.ends_with(".pl")   ? "/usr/bin/perl"
                                  : script.ends_with(".rb") ? "/usr/bin/ruby"
                                                            : "/usr/bin/python3";
  std::string out, err;
  int status = RunProgram({interpreter, path, std::to_string(port)}, &out, &err);
  *output = out + err;
  return status;
}

int Curl(const std::vector<std::string>& args, std::string* out, std::string* err) {
  // -sS: no progress meter, but errors; --max-time: a hung server fails the
  // test instead of hanging it.
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time", "30"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, out, err);
}

int CurlStatus(const std::vector<std::string>& args, const std::string& url,
               const std::string& body_file, std::string* body) {
  std::vector<std::string> full = {"-o", body_file, "-w", "%{http_code}"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back(url);
  // curl creates no file for an empty body: no stale one may stand in. (Never
  // /dev/null, though.)
  if (!body_file.starts_with("/dev/")) std::filesystem::remove(body_file);
  std::string out, err;
  if (Curl(full, &out, &err) != 0) {
    ADD_FAILURE() << "curl " << url << ": " << err;
    return 0;
  }
  if (body != nullptr) *body = ReadWholeFile(body_file);
  return std::atoi(out.c_str());
}

std::string Url(int port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

std::string TextExchange(RawConnection& conn, const std::string& request,
                         std::string_view terminator) {
  if (!conn.Send(request)) return "<send failed>";
  return conn.ReceiveUntil(terminator);
}

std::map<std::string, std::string> McStats(int port) {
  RawConnection conn(port);
  return McStats(conn);
}

std::map<std::string, std::string> McStats(RawConnection& conn) {
  std::string text = TextExchange(conn, "stats\r\n", "END\r\n");
  std::map<std::string, std::string> stats;
  size_t pos = 0;
  for (size_t end; (end = text.find("\r\n", pos)) != std::string::npos; pos = end + 2) {
    std::string_view line(text.data() + pos, end - pos);
    if (!line.starts_with("STAT ")) continue;
    line.remove_prefix(5);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    stats[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
  }
  return stats;
}

namespace mcbin {

std::string Request(uint8_t opcode, std::string_view key, std::string_view value,
                    std::string_view extras, uint64_t cas, uint32_t opaque) {
  std::string out;
  PutU8(&out, 0x80);
  PutU8(&out, opcode);
  PutU16(&out, static_cast<uint16_t>(key.size()));
  PutU8(&out, static_cast<uint8_t>(extras.size()));
  PutU8(&out, 0);   // data type
  PutU16(&out, 0);  // vbucket
  PutU32(&out, static_cast<uint32_t>(extras.size() + key.size() + value.size()));
  PutU32(&out, opaque);
  PutU64(&out, cas);
  out.append(extras).append(key).append(value);
  return out;
}

std::string SetExtras(uint32_t flags, uint32_t exptime) {
  std::string out;
  PutU32(&out, flags);
  PutU32(&out, exptime);
  return out;
}

bool ReadResponse(RawConnection& conn, Response* out, int timeout_ms) {
  std::string header = conn.Receive(24, timeout_ms);
  if (header.size() != 24) return false;
  const char* p = header.data();
  out->magic = static_cast<uint8_t>(p[0]);
  out->opcode = static_cast<uint8_t>(p[1]);
  const uint16_t key_length = DecodeU16(p + 2);
  const uint8_t extras_length = static_cast<uint8_t>(p[4]);
  out->status = DecodeU16(p + 6);
  const uint32_t body_length = DecodeU32(p + 8);
  out->opaque = DecodeU32(p + 12);
  out->cas = DecodeU64(p + 16);
  if (body_length > (64u << 20) || extras_length + key_length > body_length) return false;
  std::string body = conn.Receive(body_length, timeout_ms);
  if (body.size() != body_length) return false;
  out->extras = body.substr(0, extras_length);
  out->key = body.substr(extras_length, key_length);
  out->value = body.substr(extras_length + key_length);
  return true;
}

}  // namespace mcbin

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out.flush()) ADD_FAILURE() << "cannot write " << path;
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

bool StillRunning(const ServerProcess& server) {
  if (server.pid() <= 0) return false;
  // WNOWAIT: look without reaping, so that ServerProcess still owns the pid.
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(server.pid()), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return false;
  }
  return info.si_pid == 0;
}

}  // namespace tt::testing
