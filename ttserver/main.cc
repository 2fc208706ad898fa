// ttserver: the process shell. Parses the command line, configures the log,
// handles -kl/-pid/-dmn, runs the Server and waits for signals: SIGTERM and
// SIGINT shut down in order, SIGHUP re-opens the log file and re-reads the
// TLS certificate and key. Signals are taken
// with sigwait() on this thread, so no work ever runs in a signal handler.
// Under systemd (Type=notify) it says when it serves and when it stops.
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/logging.h"
#include "ttserver/daemon.h"
#include "ttserver/options.h"
#include "ttserver/server.h"

namespace tt {
namespace {

// Reports a start-up failure in the log, and on stderr too when the log goes
// to a file (the user at the terminal would otherwise see nothing).
int Fail(const ServerOptions& options, const std::string& message) {
  LogError(message);
  if (!options.log_path.empty()) fprintf(stderr, "ttserver: %s\n", message.c_str());
  return 1;
}

int Run(int argc, char** argv) {
  ServerOptions options;
  std::string text;
  Status s = ParseServerOptions(argc, argv, &options, &text);
  if (!s.ok()) {
    fputs(text.c_str(), stderr);
    return 1;
  }
  if (options.print_and_exit) {
    fputs(text.c_str(), stdout);
    return 0;
  }
  if (options.daemonize) MakePathsAbsolute(&options);
  s = ConfigureLog(options.log_path, options.log_level);
  if (!s.ok()) {
    fprintf(stderr, "ttserver: %s\n", s.message().c_str());
    return 1;
  }
  for (const std::string& warning : options.warnings) LogInfo("warning: ", warning);

  if (!options.pid_path.empty()) {
    if (options.kill_running) StopProcessOfPidFile(options.pid_path);
    if (!(s = CheckPidFile(options.pid_path)).ok()) return Fail(options, s.message());
  }
  int ready_fd = -1;
  if (options.daemonize && !(s = Daemonize(&ready_fd)).ok()) return Fail(options, s.message());
  if (!options.pid_path.empty() && !(s = WritePidFile(options.pid_path)).ok()) {
    return Fail(options, s.message());
  }

  signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  // Blocked before any thread exists, so every thread inherits the mask and
  // the signals wait for sigwait() below.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  int status = 0;
  bool served = false;
  {
    Server server(options);
    s = server.Start();
    if (!s.ok()) {
      status = Fail(options, "cannot start: " + s.message());
    } else {
      served = true;
      if (ready_fd >= 0) DaemonReady(ready_fd);
      sd_notify(0, "READY=1");  // a no-op when not started by systemd
      for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
          Status r = ReopenLog();
          LogInfo("SIGHUP: log re-opened", r.ok() ? "" : ": " + r.ToString());
          Status t = server.ReloadTls();
          if (!t.ok()) {
            LogError("SIGHUP: TLS certificate not reloaded, the old one stays in use: ",
                     t.message());
          }
          continue;
        }
        LogInfo("signal ", sig, " (", strsignal(sig), "): shutting down");
        sd_notify(0, "STOPPING=1");
        break;
      }
      if (!server.Stop().ok()) status = 1;
    }
  }
  RemovePidFile(options.pid_path);
  if (served) LogSystem("service finished");
  return status;
}

}  // namespace
}  // namespace tt

int main(int argc, char** argv) { return tt::Run(argc, argv); }
