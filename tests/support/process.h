// Test support: running a program to completion, and picking a loopback port
// for a server under test.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tt::testing {

// A port on 127.0.0.1 that nothing was bound to a moment ago.
int FreePort();

// Runs `argv` (argv[0] = program path) to completion with `stdin_data` on its
// standard input; returns its exit status (128 + signal if killed, 127 if it
// could not be executed) and collects stdout into *out and stderr into *err
// when they are not null. Returns only once both streams are closed, so a
// daemon the program starts must not keep them.
int RunProgram(const std::vector<std::string>& argv, std::string* out, std::string* err = nullptr,
               const std::string& stdin_data = "");

// Sends SIGSTOP to process `pid` and waits until every thread of it has
// stopped (kill returns before the stop takes effect, and a thread may still
// handle a request meanwhile). False if that takes more than 10 s.
bool StopProcess(pid_t pid);

}  // namespace tt::testing
