// Test support for TLS: a throwaway PKI made with the `openssl` command in a
// test's directory (a CA, server and client certificates, expired ones, and a
// second CA nobody trusts), and what the server on a TLS port presents.
#pragma once

#include <string>
#include <vector>

namespace tt::testing {

// A certificate and its private key, as PEM file paths.
struct CertFiles {
  std::string cert;
  std::string key;
};

// Every certificate is RSA 2048; the servers' are for CN=localhost with the
// subjectAltNames localhost and 127.0.0.1.
struct TestPki {
  // Makes all of them in `dir` (which must exist). ok() false and error()
  // saying which openssl step failed otherwise.
  explicit TestPki(const std::string& dir);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string ca;        // the CA certificate everything below is signed by
  std::string other_ca;  // a CA that signed only `stranger`
  CertFiles server;      // serial 1001
  CertFiles server2;     // serial 2002 (a renewed server certificate)
  CertFiles expired_server;
  CertFiles client;
  CertFiles expired_client;
  CertFiles stranger;  // a client certificate signed by other_ca

 private:
  // Makes a key and a certificate for `cn` signed by `ca_files` (self-signed
  // when it is empty), valid for `days` (negative: expired that long ago).
  CertFiles Make(const std::string& name, const std::string& cn, const CertFiles* ca_files,
                 const std::string& serial, int days, bool server);
  bool Run(const std::vector<std::string>& args, const std::string& step);

  std::string dir_;
  std::string error_;
};

// Runs /usr/bin/openssl with `args` and `stdin_data`; returns its exit
// status, stdout in *out, stderr in *err.
int OpenSsl(const std::vector<std::string>& args, std::string* out, std::string* err = nullptr,
            const std::string& stdin_data = "");

// `openssl s_client` to 127.0.0.1:port trusting `ca`, with `extra` options,
// sending `input` (then waiting for the server to close, as -quiet does):
// returns its exit status and what the server sent in *out.
int SClient(int port, const std::string& ca, const std::string& input, std::string* out,
            const std::vector<std::string>& extra = {});

// The serial number (hex, as `openssl x509 -serial` prints it) of the
// certificate the server on TLS port `port` presents; "" when no handshake.
std::string ServedSerial(int port, const std::string& ca);

}  // namespace tt::testing
