// Named points in multi-step operations where a test can stop vsrv to kill
// it there, exactly, instead of after a guessed delay: when the environment
// variable VSRV_TEST_STOP_AT names the point, the process stops itself
// (SIGSTOP) on reaching it; the test sees it stopped and SIGKILLs it. Unset
// (always, outside tests) it costs one getenv per process.
#pragma once

namespace vsrv {

void stop_point(const char* name);

}  // namespace vsrv
