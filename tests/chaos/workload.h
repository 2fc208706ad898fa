// The write load of a chaos run: writer threads that each own a set of keys
// on the master (and on its dual-master partner), writing through the binary
// protocol (put, putcat, addint, out, misc putlist), memcached text (set with
// flags and expiry, incr) and HTTP (PUT, putcat PUT, DELETE), plus keys that
// every writer appends to or adds to. Every outcome goes into the Model.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/model.h"

namespace tt::chaos {

struct WorkloadOptions {
  int writers = 4;
  int register_keys = 16;  // per writer and side
  int log_keys = 4;
  int counter_keys = 2;
  int decimal_keys = 2;
  double writes_per_second = 250;  // per writer; 0 = as fast as the server answers
  int timeout_ms = 30000;          // a request unanswered this long is timed out
  uint64_t seed = 1;               // each writer's choices follow from it
};

// Holds the writers between two writes while the harness looks at a server.
class Gate {
 public:
  // A writer calls it before each write (and while it waits to reconnect):
  // returns at once unless the gate is closed.
  void Pass();
  // Closes the gate and waits up to `seconds` until `writers` writers wait
  // in Pass() (or have ended). False on timeout (the gate stays closed).
  bool Close(int writers, double seconds);
  void Open();
  // A writer that ends no longer holds Close() up.
  void Leave();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int waiting_ = 0;
  int left_ = 0;
};

class Workload {
 public:
  // `master_port` / `partner_port`: the two sides (partner_port 0: the
  // master only). Keys are declared in `model` (not owned, outlives this).
  Workload(const WorkloadOptions& options, Model* model, int master_port, int partner_port);
  ~Workload();  // Stop()

  // Starts the writers (each first gives its memcached counters a start value).
  void Start();
  // Stops and joins the writers. Idempotent.
  void Stop();
  // Holds every writer between writes (see Gate::Close); Resume() lets them go.
  bool Pause(double seconds);
  void Resume();

  // Which side a key of the model is written on.
  static bool OnMaster(const std::string& key) { return key.rfind("m.", 0) == 0; }
  static bool OnPartner(const std::string& key) { return key.rfind("p.", 0) == 0; }

  // Writes sent so far, and requests that got an error answer (counted as
  // unknown in the model) or timed out.
  uint64_t writes() const { return writes_.load(); }
  uint64_t errors() const { return errors_.load(); }
  uint64_t timeouts() const { return timeouts_.load(); }

 private:
  WorkloadOptions options_;
  Model* model_;
  int master_port_;
  int partner_port_;
  Gate gate_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::vector<std::thread> threads_;
};

}  // namespace tt::chaos
