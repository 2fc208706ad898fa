#include "tests/integration/tls_support.h"

#include <fstream>

#include "tests/support/process.h"

namespace tt::testing {

int OpenSsl(const std::vector<std::string>& args, std::string* out, std::string* err,
            const std::string& stdin_data) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, out, err, stdin_data);
}

TestPki::TestPki(const std::string& dir) : dir_(dir) {
  std::ofstream(dir_ + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  std::ofstream(dir_ + "/client.ext") << "extendedKeyUsage=clientAuth\n";
  CertFiles ca_files = Make("ca", "ttserver test CA", nullptr, "1", 30, false);
  CertFiles other_ca_files = Make("other-ca", "another CA", nullptr, "2", 30, false);
  ca = ca_files.cert;
  other_ca = other_ca_files.cert;
  server = Make("server", "localhost", &ca_files, "0x1001", 30, true);
  server2 = Make("server2", "localhost", &ca_files, "0x2002", 30, true);
  expired_server = Make("expired-server", "localhost", &ca_files, "0x3003", -1, true);
  client = Make("client", "test client", &ca_files, "0x4004", 30, false);
  expired_client = Make("expired-client", "test client", &ca_files, "0x5005", -1, false);
  stranger = Make("stranger", "test client", &other_ca_files, "0x6006", 30, false);
}

bool TestPki::Run(const std::vector<std::string>& args, const std::string& step) {
  if (!error_.empty()) return false;
  std::string out, err;
  if (OpenSsl(args, &out, &err) != 0) error_ = step + ": " + err;
  return error_.empty();
}

CertFiles TestPki::Make(const std::string& name, const std::string& cn, const CertFiles* ca_files,
                        const std::string& serial, int days, bool server) {
  CertFiles files{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  const std::string subject = "/CN=" + cn;
  if (ca_files == nullptr) {
    Run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key, "-out", files.cert,
         "-days", std::to_string(days), "-subj", subject, "-set_serial", serial},
        "self-signed " + name);
    return files;
  }
  const std::string csr = dir_ + "/" + name + ".csr";
  Run({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key, "-out", csr, "-subj", subject},
      "request for " + name);
  Run({"x509", "-req", "-in", csr, "-CA", ca_files->cert, "-CAkey", ca_files->key, "-set_serial",
       serial, "-days", std::to_string(days), "-extfile",
       dir_ + (server ? "/server.ext" : "/client.ext"), "-out", files.cert},
      "signing " + name);
  return files;
}

int SClient(int port, const std::string& ca, const std::string& input, std::string* out,
            const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"s_client",
                                   "-quiet",
                                   "-verify_return_error",
                                   "-CAfile",
                                   ca,
                                   "-connect",
                                   "127.0.0.1:" + std::to_string(port)};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string err;
  return OpenSsl(args, out, &err, input);
}

std::string ServedSerial(int port, const std::string& ca) {
  std::string pem, err, serial;
  // Without -quiet s_client prints the server's certificate and ends at the
  // end of its input.
  OpenSsl({"s_client", "-CAfile", ca, "-connect", "127.0.0.1:" + std::to_string(port)}, &pem, &err,
          "");
  if (OpenSsl({"x509", "-noout", "-serial"}, &serial, &err, pem) != 0) return "";
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == '\r')) serial.pop_back();
  return serial;
}

}  // namespace tt::testing
