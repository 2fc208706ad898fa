// Default run-time options of the sanitizers, compiled into every executable of
// a sanitized build (CMake option TT_SANITIZE), so that a sanitized ttserver or
// test behaves the same whether ctest, a test harness or a person starts it.
// Options in ASAN_OPTIONS / UBSAN_OPTIONS / TSAN_OPTIONS are applied after
// these and win (the test harness adds log_path for the processes it starts).

// The runtimes look these functions up by name; they must have C linkage and
// default visibility.
#define TT_SANITIZER_DEFAULTS extern "C" __attribute__((visibility("default"), used))

// Every report stops the process (exit code 1 for ASan and UBSan), with a stack
// for UBSan too. LeakSanitizer runs at exit, so a server stopped by SIGTERM is
// checked for leaks; one killed by SIGKILL is not.
TT_SANITIZER_DEFAULTS const char* __asan_default_options() {
  return "halt_on_error=1:detect_leaks=1:check_initialization_order=1:"
         "strict_init_order=1:detect_stack_use_after_return=1";
}

TT_SANITIZER_DEFAULTS const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

// ThreadSanitizer keeps running after a report and exits with 66; the
// suppressions name only code of the uninstrumented libraries we link
// (TT_TSAN_SUPPRESSIONS is the file in the source tree, a reason per line).
// Its lock-order checker is off: it holds at most 64 locks per thread and
// stops the process with "CHECK failed: sanitizer_deadlock_detector.h" when
// the Engine takes all 256 key stripes (vanish, optimize, sync).
TT_SANITIZER_DEFAULTS const char* __tsan_default_options() {
  return "halt_on_error=0:exitcode=66:detect_deadlocks=0:suppressions=" TT_TSAN_SUPPRESSIONS;
}
