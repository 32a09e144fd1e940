#include "bundle.hpp"

#include "files.hpp"

namespace vsrv::bench {

std::string make_busybox_template(const Runtime& vsrv, const std::string& data_dir,
                                  const std::string& name) {
  must_run(vsrv.argv({"template", "busybox", name}));
  return data_dir + "/templates/" + name + "/rootfs";
}

void copy_tree(const std::string& src, const std::string& dst) {
  must_run({"cp", "-a", src, dst});
}

nlohmann::json runc_default_spec(const Runtime& runc, const std::string& scratch_dir) {
  make_dir(scratch_dir);
  must_run({runc.binary(), "spec", "--bundle", scratch_dir});
  return nlohmann::json::parse(read_file(scratch_dir + "/config.json"));
}

nlohmann::json adapt_spec(nlohmann::json c, const std::vector<std::string>& args,
                          const std::string& cgroups_path, const std::string& root_path) {
  c["process"]["terminal"] = false;
  c["process"]["args"] = args;
  if (c["process"].contains("capabilities")) c["process"]["capabilities"].erase("ambient");
  c["linux"]["cgroupsPath"] = cgroups_path;
  c["root"]["path"] = root_path;
  return c;
}

void write_bundle(const std::string& dir, const nlohmann::json& config) {
  make_dir(dir);
  write_file(dir + "/config.json", config.dump(2) + "\n");
}

}  // namespace vsrv::bench
