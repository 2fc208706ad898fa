// Process plumbing of ttserver: daemonizing, the PID file, -kl, and making
// paths absolute before the daemon changes to "/" (spec/server-options.md §1).
#pragma once

#include <string>

#include "common/status.h"
#include "ttserver/options.h"

namespace tt {

// `path` made absolute against the current directory; unchanged if already
// absolute or empty.
std::string AbsolutePath(const std::string& path);

// Makes every relative path of `options` absolute (dbname's file part before
// '#', unless an in-memory name such as "*"; -ulog, -pid, -log, -rts), so that
// -dmn's chdir("/") does not move them. The original resolves them against "/".
void MakePathsAbsolute(ServerOptions* options);

// -kl: if `pid_path` names a running process, sends it SIGTERM, waits up to
// 10 s (polling every 0.1 s) for the PID file to disappear, then SIGKILLs it
// and removes the file. Ok when nothing is left running.
Status StopProcessOfPidFile(const std::string& pid_path);

// Fails (InvalidArgument, "may be already running") if `pid_path` exists and
// names a live process other than this one; removes a stale file (dead
// process, or unreadable contents) and logs that. Ok when the path is free.
Status CheckPidFile(const std::string& pid_path);
// Creates `pid_path` (refusing to replace an existing file) holding "<pid>\n".
Status WritePidFile(const std::string& pid_path);
// Removes `pid_path` if it still holds this process's PID.
void RemovePidFile(const std::string& pid_path);

// Detaches from the terminal: fork, setsid, fork, chdir("/"). Returns only in
// the daemon, with *ready_fd set; the starting process waits and exits 0 once
// the daemon calls DaemonReady(), or 1 if the daemon exits first (start-up
// failed; its messages went to the terminal's stderr).
Status Daemonize(int* ready_fd);
// Called by the daemon once it serves: redirects stdin/stdout/stderr to
// /dev/null and releases the starting process (exit 0).
void DaemonReady(int ready_fd);

}  // namespace tt
