#include "ttserver/net/tls_context.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/logging.h"
#include "common/tls_bridge.h"

namespace tt {

namespace {

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

// A key protected by a passphrase must fail to load, not make OpenSSL ask
// for the passphrase on a terminal a daemon does not have.
int NoPassphrase(char*, int, int, void*) { return 0; }

Status Bad(std::string message) { return Status::InvalidArgument(std::move(message)); }

// "(reason)" from OpenSSL's queue, or "" when it has none.
std::string Why() {
  std::string errors = TakeOpenSslErrors();
  return errors.empty() ? "" : " (" + errors + ")";
}

Status CheckReadable(const std::string& option, const std::string& path) {
  if (path.empty()) return Bad(option + " is required with --tls-port: give a PEM file");
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return Bad(option + " " + path + ": cannot read it (" + std::strerror(errno) +
               "); give a PEM file the server's user can read");
  }
  std::fclose(f);
  return Status::Ok();
}

Status Build(const TlsFiles& files, CtxPtr* out) {
  Status s;
  if (!(s = CheckReadable("--tls-cert", files.cert)).ok()) return s;
  if (!(s = CheckReadable("--tls-key", files.key)).ok()) return s;
  if (!files.ca.empty() && !(s = CheckReadable("--tls-ca", files.ca)).ok()) return s;
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return Status::IoError("cannot create a TLS context" + Why());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx.get(), &NoPassphrase);
  // The key first: loading it after the certificate would check it against
  // the certificate and report a mismatch as an unreadable key.
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Bad("--tls-key " + files.key + ": no PEM private key could be read from it" + Why() +
               "; give the certificate's private key in PEM form, without a passphrase");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1) {
    return Bad("--tls-cert " + files.cert + ": no PEM certificate could be read from it" + Why() +
               "; give the server's certificate, then its intermediates, in PEM form");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Bad("--tls-key " + files.key + " does not match the certificate in --tls-cert " +
               files.cert + Why() + "; give the key the certificate was issued for");
  }
  if (!files.ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1) {
      return Bad("--tls-ca " + files.ca + ": no PEM CA certificate could be read from it" + Why() +
                 "; give the certificate(s) of the CA that signs the clients' certificates");
    }
    // Tells clients which CAs they may present a certificate of.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Needed for session resumption when client certificates are verified.
  static const unsigned char kSessionContext[] = "ttserver";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
  ERR_clear_error();
  *out = std::move(ctx);
  return Status::Ok();
}

std::string DescribeCertificate(X509* cert) {
  if (cert == nullptr) return "no certificate";
  std::string text = "subject ";
  char name[512];
  X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
  text += name;
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      text += std::string(", serial ") + hex;
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      text += ", valid until " + std::string(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  return text;
}

// Says in the log when the certificate just loaded has expired or is not valid
// yet: clients will refuse it, but the operator may be replacing it.
void WarnIfNotValidNow(const TlsFiles& files, SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    LogError("warning: the certificate in --tls-cert ", files.cert,
             " has expired: clients will refuse it; install a new one and send SIGHUP (",
             DescribeCertificate(cert), ")");
  } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    LogError("warning: the certificate in --tls-cert ", files.cert,
             " is not valid yet: clients will refuse it until then (", DescribeCertificate(cert),
             ")");
  }
}

}  // namespace

Status TlsContext::Create(const TlsFiles& files, std::unique_ptr<TlsContext>* out) {
  CtxPtr ctx;
  Status s = Build(files, &ctx);
  if (!s.ok()) return s;
  WarnIfNotValidNow(files, ctx.get());
  std::unique_ptr<TlsContext> context(new TlsContext(files));
  context->ctx_ = ctx.release();
  *out = std::move(context);
  return Status::Ok();
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Status TlsContext::Reload() {
  CtxPtr ctx;
  Status s = Build(files_, &ctx);
  if (!s.ok()) return s;
  WarnIfNotValidNow(files_, ctx.get());
  std::lock_guard lock(mu_);
  // Sessions made from the old context hold references to it: it lives on
  // until the last of them is freed.
  SSL_CTX_free(ctx_);
  ctx_ = ctx.release();
  return Status::Ok();
}

SSL* TlsContext::NewSession() {
  std::lock_guard lock(mu_);
  return SSL_new(ctx_);
}

std::string TlsContext::Describe() {
  std::lock_guard lock(mu_);
  return DescribeCertificate(SSL_CTX_get0_certificate(ctx_));
}

void TlsContext::ReportHandshakeFailure(const std::string& peer, const std::string& reason) {
  uint64_t left_out = 0;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now - last_failure_log_ < std::chrono::seconds(1)) {
      ++unlogged_failures_;
      return;
    }
    last_failure_log_ = now;
    left_out = std::exchange(unlogged_failures_, 0);
  }
  if (left_out > 0) {
    LogInfo("TLS handshake with ", peer, " failed: ", reason, " (and ", left_out,
            " other handshake failure(s) since the last report)");
  } else {
    LogInfo("TLS handshake with ", peer, " failed: ", reason);
  }
}

}  // namespace tt
