// tttail: streams a master's changes to standard output or into an SQLite or
// PostgreSQL table (man/tttail.1). Errors print `tttail: error: <what>; <what
// to do>` and exit 1 (a closed standard output too: SIGPIPE is ignored);
// SIGINT/SIGTERM flush, save the checkpoint and exit 0.
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "repl/tail/postgres_sink.h"
#include "repl/tail/sqlite_sink.h"
#include "repl/tail/tail_options.h"
#include "repl/tail/tail_output.h"
#include "repl/tail/tail_runner.h"

namespace tt {
namespace {

int Fail(const std::string& what) {
  fprintf(stderr, "tttail: error: %s\n", what.c_str());
  return 1;
}

// The output the options ask for: a sink (opened, tables created) or stdout.
Status MakeOutput(const TailOptions& options, std::unique_ptr<TailOutput>* output) {
  std::unique_ptr<Sink> sink;
  Status s;
  if (options.sqlite_path) {
    std::unique_ptr<SqliteSink> sqlite;
    s = SqliteSink::Open(*options.sqlite_path, &sqlite);
    sink = std::move(sqlite);
  } else if (options.postgres_conninfo) {
    std::unique_ptr<PostgresSink> postgres;
    s = PostgresSink::Open(*options.postgres_conninfo, &postgres);
    sink = std::move(postgres);
  } else {
    *output = NewStdoutOutput(options.format, options.encoding, options.checkpoint);
    return Status::Ok();
  }
  if (s.ok()) s = sink->Prepare();
  if (!s.ok()) return s;
  *output = NewSinkOutput(std::move(sink), options.source);
  return Status::Ok();
}

int Main(int argc, char** argv) {
  TailOptions options;
  TailCommand command;
  std::string error;
  if (!ParseTailOptions(std::vector<std::string>(argv, argv + argc), &options, &command, &error)) {
    fprintf(stderr, "tttail: error: %s; see tttail --help\n", error.c_str());
    return 1;
  }
  if (command == TailCommand::kHelp) {
    fputs(TailUsage(), stdout);
    return 0;
  }
  if (command == TailCommand::kVersion) {
    printf("tttail (ttserver) %s, compatible with Tokyo Tyrant 1.1.41\n", TT_VERSION);
    return 0;
  }
  // A reader that goes away (`tttail | head`) is a write error to report,
  // with the checkpoint left at what was flushed, not a silent death.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TailOutput> output;
  Status s = MakeOutput(options, &output);
  if (!s.ok()) return Fail(s.message().empty() ? s.ToString() : s.message());
  static char stdout_buffer[1 << 16];
  setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);

  TailRunOptions run;
  run.host = options.host;
  run.port = options.port;
  run.sid = options.sid;
  run.start_ts = options.start_ts;
  run.stop_at_end = options.stop_at_end;
  if (options.tls) run.tls = TlsClientOptions{options.tls_ca, options.tls_cert, options.tls_key};
  run.progress_on_tty = isatty(STDERR_FILENO) == 1;
  run.progress = options.progress.value_or(run.progress_on_tty);
  TailRunner runner(run, output.get());

  // Signals go to one thread that stops the runner, which then saves what it
  // delivered (a handler could not take the runner's lock).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread signal_thread([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    runner.Stop();
  });
  s = runner.Run();
  // Ends the signal thread if no signal came.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  if (s.ok() && fflush(stdout) != 0) s = Status::IoError("cannot write to standard output");
  if (!s.ok()) {
    std::string what = s.message().empty() ? s.ToString() : s.message();
    const Status::Code code = s.code();
    // A failure of the stream; an output's failure says itself what was kept.
    if (runner.delivered() > 0 &&
        (code == Status::Code::kNetwork || code == Status::Code::kTimeout ||
         code == Status::Code::kProtocol)) {
      what += "; what was delivered is checkpointed, so running tttail again resumes after it";
    }
    return Fail(what);
  }
  return 0;
}

}  // namespace
}  // namespace tt

int main(int argc, char** argv) { return tt::Main(argc, argv); }
