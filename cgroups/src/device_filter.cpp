// DeviceState -> a BPF_PROG_TYPE_CGROUP_DEVICE program (cgroup v2 has no
// device files: a program attached to the cgroup decides each mknod and
// open of a device node).
//
// The context is struct bpf_cgroup_dev_ctx: access_type = (access << 16) |
// type, major, minor. The program loads them into r3 (type), r4 (access),
// r5 (major) and r6 (minor), then has one block per exception:
//
//   if type != T goto next; if major != M goto next; if minor != N goto next
//   (deny-default) if access & ~bits goto next   -- one exception grants all
//   (allow-default) if !(access & bits) goto next  -- any bit denied is enough
//   return verdict
//   next: ...
//   return default
//
// Every exception of a state gives the same verdict (the opposite of the
// default), so their order does not matter: this is the kernel's v1 check.
#include <cstddef>
#include <cstdint>

#include "vsrv/cgroups/devices.hpp"

namespace vsrv::cgroups {

namespace {

struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn i = {};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

struct bpf_insn load_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0);
}
struct bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
struct bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
struct bpf_insn jump_imm(uint8_t op, uint8_t reg, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm);  // offset set once the block is known
}
struct bpf_insn return_imm(int32_t verdict) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict);
}
struct bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

constexpr uint8_t kType = BPF_REG_3, kAccess = BPF_REG_4, kMajor = BPF_REG_5, kMinor = BPF_REG_6,
                  kTemp = BPF_REG_7;

// One exception: conditional jumps past its end when the device or access
// does not match, then the verdict.
void append_block(std::vector<struct bpf_insn>& prog, const DeviceKey& key, unsigned bits,
                  bool default_allow) {
  std::vector<struct bpf_insn> block;
  block.push_back(
      jump_imm(BPF_JNE, kType, key.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (key.major) block.push_back(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(*key.major)));
  if (key.minor) block.push_back(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(*key.minor)));
  if (!default_allow && bits != kDevAll) {
    // An allow exception must grant every bit asked for.
    block.push_back(mov32_reg(kTemp, kAccess));
    block.push_back(alu32_imm(BPF_AND, kTemp, static_cast<int32_t>(~bits & kDevAll)));
    block.push_back(jump_imm(BPF_JNE, kTemp, 0));
  } else if (default_allow && bits != kDevAll) {
    // A deny exception denies when it shares any bit with the access.
    block.push_back(mov32_reg(kTemp, kAccess));
    block.push_back(alu32_imm(BPF_AND, kTemp, static_cast<int32_t>(bits)));
    block.push_back(jump_imm(BPF_JEQ, kTemp, 0));
  }
  block.push_back(return_imm(default_allow ? 0 : 1));
  block.push_back(exit_insn());
  for (size_t i = 0; i < block.size(); ++i)
    if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT)
      block[i].off = static_cast<int16_t>(block.size() - i - 1);
  prog.insert(prog.end(), block.begin(), block.end());
}

}  // namespace

std::vector<struct bpf_insn> device_program(const DeviceState& state) {
  std::vector<struct bpf_insn> prog = {
      load_u32(BPF_REG_2, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
      mov32_reg(kType, BPF_REG_2),
      alu32_imm(BPF_AND, kType, 0xffff),
      mov32_reg(kAccess, BPF_REG_2),
      alu32_imm(BPF_RSH, kAccess, 16),
      load_u32(kMajor, offsetof(struct bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(struct bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& [key, bits] : state.exceptions)
    append_block(prog, key, bits, state.default_allow);
  prog.push_back(return_imm(state.default_allow ? 1 : 0));
  prog.push_back(exit_insn());
  return prog;
}

}  // namespace vsrv::cgroups
