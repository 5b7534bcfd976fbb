// keelctl: the operator CLI. Commands are added by the keelctl issue; this skeleton knows
// `version` and `help` and rejects anything else with a one-line error and exit code 2.
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr char kUsage[] =
    "usage: keelctl COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  version    print keelctl's version\n"
    "  help       print this help\n"
    "\n"
    "Options:\n"
    "  -h, --help print this help\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "version") {
    std::puts("keelctl 0.1.0");
    return 0;
  }
  std::fprintf(stderr, "keelctl: unknown command '%s' (see keelctl --help)\n", command.c_str());
  return 2;
}
