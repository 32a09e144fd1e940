// Errors shared by every layer. Messages are written to be shown to a user
// as one line: "vsrv: <what>: <why>".
#pragma once

#include <stdexcept>
#include <string>

namespace vsrv {

// Exit-code classes of the CLI contract (DESIGN.md §3).
enum class ErrorKind {
  kUsage = 1,   // bad argument or spec
  kState = 2,   // server missing or in the wrong state
  kSystem = 1,  // the kernel or the host refused
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  explicit Error(const std::string& msg) : Error(ErrorKind::kSystem, msg) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// A failed system call: "<what>: <strerror(err)>".
class SysError : public Error {
 public:
  SysError(const std::string& what, int err);
  // Uses the current errno.
  explicit SysError(const std::string& what);
  int err() const { return err_; }

 private:
  int err_;
};

// Runs every step of a teardown even when one fails, keeping the first
// failure's message: step([&] { ... }); then throw with message() if any.
class FirstError {
 public:
  template <class Fn>
  void step(Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      if (message_.empty()) message_ = e.what();
    }
  }
  bool failed() const { return !message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

}  // namespace vsrv
