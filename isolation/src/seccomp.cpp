// Compiling an OCI seccomp profile with libseccomp into BPF, and loading it.
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "seccomp_names.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/process.hpp"
#include "vsrv/isolation/seccomp_program.hpp"

namespace vsrv::isolation {

namespace {

struct CtxRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxRelease>;

uint32_t action_value(const std::string& action, std::optional<uint32_t> errno_ret) {
  const uint32_t ret = errno_ret.value_or(EPERM);
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_NOTIFY") {
    throw Error(ErrorKind::kUsage, "seccomp action SCMP_ACT_NOTIFY is not supported");
  }
  throw Error(ErrorKind::kUsage, "unknown seccomp action " + action);
}

scmp_arg_cmp to_condition(const SeccompArg& arg, const std::string& syscall) {
  auto op = seccomp_op_value(arg.op);
  if (!op) throw Error(ErrorKind::kUsage, "seccomp rule for " + syscall + ": unknown op " + arg.op);
  if (arg.index > 5) {
    throw Error(ErrorKind::kUsage, "seccomp rule for " + syscall + ": argument index " +
                                       std::to_string(arg.index) + " out of range");
  }
  // For SCMP_CMP_MASKED_EQ, OCI's value is the mask and valueTwo the datum,
  // the same order as libseccomp's datum_a/datum_b.
  return scmp_arg_cmp{arg.index, static_cast<scmp_compare>(*op), arg.value, arg.value_two};
}

void add_rule(void* ctx, uint32_t action, int nr, const std::string& name,
              const std::vector<scmp_arg_cmp>& conds) {
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()),
                                  conds.empty() ? nullptr : conds.data());
  if (rc < 0) throw SysError("seccomp rule for " + name, -rc);
}

void add_rules(void* ctx, const SeccompRule& rule, uint32_t default_action) {
  const uint32_t action = action_value(rule.action, rule.errno_ret);
  for (const auto& name : rule.names) {
    std::vector<scmp_arg_cmp> conds;
    for (const auto& arg : rule.args) conds.push_back(to_condition(arg, name));
    // libseccomp rejects a rule whose action is the default one; it is a no-op anyway.
    if (action == default_action) continue;
    // Profiles name syscalls of newer kernels or other architectures.
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;

    bool repeated_index = false;
    for (size_t i = 0; i < conds.size(); ++i) {
      for (size_t j = i + 1; j < conds.size(); ++j) {
        if (conds[i].arg == conds[j].arg) repeated_index = true;
      }
    }
    if (!repeated_index) {
      add_rule(ctx, action, nr, name, conds);  // all comparisons must hold (AND)
    } else {
      // libseccomp cannot compare one argument twice in one rule; as other
      // runtimes do, such a list means any of the comparisons (OR).
      for (const auto& c : conds) add_rule(ctx, action, nr, name, {c});
    }
  }
}

// A libseccomp filter context holding every rule of the profile.
Ctx build_filter(const Seccomp& profile) {
  const uint32_t default_action = action_value(profile.default_action, profile.default_errno_ret);
  Ctx ctx(seccomp_init(default_action));
  if (!ctx) throw Error("seccomp: cannot initialise a filter");

  // no_new_privs is the runtime's decision (set_no_new_privs), not a side effect of loading.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) throw SysError("seccomp: clear the no_new_privs attribute", -rc);

  for (const auto& arch : profile.architectures) {
    auto token = seccomp_arch_token(arch);
    if (!token) throw Error(ErrorKind::kUsage, "unknown seccomp architecture " + arch);
    rc = seccomp_arch_add(ctx.get(), *token);
    if (rc < 0 && rc != -EEXIST) throw SysError("seccomp: add architecture " + arch, -rc);
  }
  for (const auto& rule : profile.syscalls) add_rules(ctx.get(), rule, default_action);
  return ctx;
}

unsigned filter_flags(const Seccomp& profile) {
  unsigned flags = 0;
  for (const auto& flag : profile.flags) {
    auto bit = seccomp_flag_bit(flag);
    if (!bit) throw Error(ErrorKind::kUsage, "unsupported seccomp flag " + flag);
    flags |= *bit;
  }
  return flags;
}

// Appends a length-prefixed field: "<len>:<text> ".
void field(std::string& out, const std::string& text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
  out += ' ';
}

void field(std::string& out, std::optional<uint32_t> value) {
  field(out, value ? std::to_string(*value) : std::string("-"));
}

}  // namespace

SeccompProgram compile_seccomp(const Seccomp& profile) {
  SeccompProgram program;
  program.flags = filter_flags(profile);
  Ctx ctx = build_filter(profile);
  UniqueFd mem(::memfd_create("vsrv-seccomp", MFD_CLOEXEC));
  if (!mem) throw SysError("seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx.get(), mem.get());
  if (rc < 0) throw SysError("seccomp: compile the filter", -rc);
  struct stat st;
  if (::fstat(mem.get(), &st) < 0) throw SysError("seccomp: stat the compiled filter");
  if (st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0)
    throw Error("seccomp: the compiled filter has an odd size");
  program.filter.resize(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  const size_t bytes = static_cast<size_t>(st.st_size);
  if (::pread(mem.get(), program.filter.data(), bytes, 0) != static_cast<ssize_t>(bytes))
    throw SysError("seccomp: read the compiled filter");
  return program;
}

void load_seccomp(const SeccompProgram& program) {
  if (program.filter.empty() || program.filter.size() > BPF_MAXINSNS)
    throw Error("seccomp: a filter of " + std::to_string(program.filter.size()) +
                " instructions cannot be loaded");
  struct sock_fprog prog = {};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog);
  if (rc < 0) throw SysError("load seccomp filter");
  // With TSYNC, a positive value is the id of a thread that could not be synchronised.
  if (rc > 0)
    throw Error("load seccomp filter: thread " + std::to_string(rc) + " cannot be synchronised");
}

void apply_seccomp(const Seccomp& profile) {
  load_seccomp(compile_seccomp(profile));
}

std::string seccomp_canonical(const Seccomp& profile) {
  std::string out = "vsrv-seccomp 1 ";
  const scmp_version* v = seccomp_version();
  field(out,
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro));
  field(out, std::to_string(seccomp_api_get()));
  field(out, std::to_string(seccomp_arch_native()));
  out += "\ndefault ";
  field(out, profile.default_action);
  field(out, profile.default_errno_ret);
  out += "\narchitectures ";
  for (const auto& a : profile.architectures) field(out, a);
  out += "\nflags ";
  for (const auto& f : profile.flags) field(out, f);
  for (const auto& rule : profile.syscalls) {
    out += "\nrule ";
    field(out, rule.action);
    field(out, rule.errno_ret);
    out += "names " + std::to_string(rule.names.size()) + " ";
    for (const auto& n : rule.names) field(out, n);
    out += "args " + std::to_string(rule.args.size()) + " ";
    for (const auto& a : rule.args) {
      out += std::to_string(a.index) + " " + std::to_string(a.value) + " " +
             std::to_string(a.value_two) + " ";
      field(out, a.op);
    }
  }
  out += "\n";
  return out;
}

}  // namespace vsrv::isolation
