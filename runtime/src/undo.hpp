// A stack of undo steps run in reverse order unless the whole operation succeeded.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace vsrv::runtime {

class Undo {
 public:
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {
        // Best effort: the rest must still run; `delete --force` cleans what is left.
      }
    }
  }
  void push(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void dismiss() { steps_.clear(); }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace vsrv::runtime
