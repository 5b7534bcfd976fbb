// keelctl: the operator CLI (conventions of kafka-topics, kafka-metadata-quorum, etcdctl).
//
// The cluster is found from --controllers / --brokers or $KEEL_CONTROLLERS / $KEEL_BROKERS.
// Every command takes --output table|json, sets a deadline on each call (--timeout-ms bounds
// the whole command, retries and leader redirects included), and exits non-zero with one line
// on stderr when it fails: 1 for a cluster error, 2 for bad usage.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/ctl/commands.h"

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using keel::keelctl::GlobalOptions;
  GlobalOptions g;
  g.controllers = EnvOr("KEEL_CONTROLLERS", "");
  g.brokers = EnvOr("KEEL_BROKERS", "");

  CLI::App app{"keelctl: inspect and change a Keel cluster"};
  app.set_version_flag("--version", "keelctl 0.1.0");
  app.require_subcommand(0, 1);
  app.add_option("--controllers", g.controllers,
                 "Controller addresses host:port,... (default $KEEL_CONTROLLERS)");
  app.add_option("--brokers", g.brokers, "Broker addresses host:port,... (default $KEEL_BROKERS)");
  app.add_option("--output,-o", g.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout-ms", g.timeout_ms,
                 "Deadline for the whole command, retries and redirects included")
      ->check(CLI::PositiveNumber);
  int code = 0;

  app.add_subcommand("version", "Print keelctl's version")->callback([&] {
    std::puts("keelctl 0.1.0");
  });

  auto* quorum = app.add_subcommand("quorum", "Describe the controller quorum");
  quorum->require_subcommand(1);
  quorum->add_subcommand("status", "Leader, epoch, high watermark, voters")->callback([&] {
    code = keel::keelctl::QuorumStatus(g);
  });
  quorum->add_subcommand("replication", "Each voter's log end offset and lag")->callback([&] {
    code = keel::keelctl::QuorumReplication(g);
  });

  auto* topics = app.add_subcommand("topics", "Create, list, describe and delete topics");
  topics->require_subcommand(1);
  keel::keelctl::CreateTopicOptions create;
  auto* create_cmd = topics->add_subcommand("create", "Create a topic");
  create_cmd->add_option("name", create.name, "Topic name")->required();
  create_cmd->add_option("--partitions", create.partitions, "Number of partitions")->required();
  create_cmd->add_option("--replication-factor", create.replication_factor,
                         "Replicas per partition")
      ->required();
  create_cmd->add_option("--config", create.configs, "Topic config key=value (repeatable)");
  create_cmd->callback([&] { code = keel::keelctl::TopicsCreate(g, create); });
  topics->add_subcommand("list", "List topic names")->callback([&] {
    code = keel::keelctl::TopicsList(g);
  });
  std::string describe_name;
  auto* describe_cmd = topics->add_subcommand("describe", "Describe one topic or all");
  describe_cmd->add_option("name", describe_name, "Topic name (all topics if omitted)");
  describe_cmd->callback([&] { code = keel::keelctl::TopicsDescribe(g, describe_name); });
  std::string delete_name;
  auto* delete_cmd = topics->add_subcommand("delete", "Delete a topic");
  delete_cmd->add_option("name", delete_name, "Topic name")->required();
  delete_cmd->callback([&] { code = keel::keelctl::TopicsDelete(g, delete_name); });

  auto* brokers = app.add_subcommand("brokers", "Registered brokers");
  brokers->require_subcommand(1);
  brokers->add_subcommand("list", "Id, address, rack, epoch and state of every broker")
      ->callback([&] { code = keel::keelctl::BrokersList(g); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    std::fprintf(stderr, "keelctl: unknown command or argument: %s (see keelctl --help)\n",
                 e.what());
    return 2;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "keelctl: %s (see keelctl --help)\n", e.what());
    return 2;
  }
  if (app.get_subcommands().empty()) {
    std::fprintf(stderr, "keelctl: a command is required (see keelctl --help)\n");
    return 2;
  }
  return code;
}
