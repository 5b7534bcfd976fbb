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
  g.tls_ca = EnvOr("KEEL_TLS_CA", "");
  g.tls_cert = EnvOr("KEEL_TLS_CERT", "");
  g.tls_key = EnvOr("KEEL_TLS_KEY", "");

  CLI::App app{"keelctl: inspect and change a Keel cluster"};
  app.set_version_flag("--version", "keelctl 0.1.0");
  app.require_subcommand(0, 1);
  // Global options are accepted after the command too (`keelctl topics list -o json`);
  // subcommands added below inherit this.
  app.fallthrough();
  app.add_option("--controllers", g.controllers,
                 "Controller addresses host:port,... (default $KEEL_CONTROLLERS)");
  app.add_option("--brokers", g.brokers, "Broker addresses host:port,... (default $KEEL_BROKERS)");
  app.add_option("--output,-o", g.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout-ms", g.timeout_ms,
                 "Deadline for the whole command, retries and redirects included")
      ->check(CLI::PositiveNumber);
  app.add_option("--tls-ca", g.tls_ca,
                 "PEM CA file: talk TLS to the cluster, verifying it (default $KEEL_TLS_CA)");
  app.add_option("--tls-cert", g.tls_cert,
                 "PEM client certificate for mutual TLS (default $KEEL_TLS_CERT)");
  app.add_option("--tls-key", g.tls_key, "PEM key of --tls-cert (default $KEEL_TLS_KEY)");
  // Runs after every option is parsed and before any command's callback, so each command's
  // channels are made with these credentials.
  app.parse_complete_callback([&] {
    if (absl::Status s = keel::keelctl::ConfigureTls(g); !s.ok()) {
      throw CLI::ValidationError("TLS", std::string(s.message()));  // exits 2 with the message
    }
  });
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

  std::string alter_name;
  int alter_partitions = 0;
  auto* alter_cmd = topics->add_subcommand("alter", "Add partitions to a topic (kafka-topics --alter)");
  alter_cmd->add_option("name", alter_name, "Topic name")->required();
  alter_cmd->add_option("--partitions", alter_partitions, "New total number of partitions")
      ->required()
      ->check(CLI::PositiveNumber);
  alter_cmd->callback(
      [&] { code = keel::keelctl::TopicsAlter(g, alter_name, alter_partitions); });

  auto* configs = app.add_subcommand("configs", "Describe and alter topic configs (kafka-configs)");
  configs->require_subcommand(1);
  std::string configs_topic;
  auto* configs_describe = configs->add_subcommand("describe", "A topic's own configs");
  configs_describe->add_option("--topic", configs_topic, "Topic name")->required();
  configs_describe->callback([&] { code = keel::keelctl::ConfigsDescribe(g, configs_topic); });
  keel::keelctl::ConfigsAlterOptions configs_alter;
  auto* configs_alter_cmd =
      configs->add_subcommand("alter", "Set and delete a topic's configs (incrementally)");
  configs_alter_cmd->add_option("--topic", configs_alter.topic, "Topic name")->required();
  configs_alter_cmd->add_option("--add-config", configs_alter.add_config,
                                "k=v[,k=v...] to set (a value may be [a,b])");
  configs_alter_cmd->add_option("--delete-config", configs_alter.delete_config,
                                "Keys to delete (comma-separated or repeated)");
  configs_alter_cmd->callback([&] { code = keel::keelctl::ConfigsAlter(g, configs_alter); });

  auto* perf = app.add_subcommand("perf", "Producer and consumer load tests (kafka-*-perf-test)");
  perf->require_subcommand(1);
  keel::keelctl::PerfProduceOptions perf_produce;
  auto* perf_produce_cmd = perf->add_subcommand("produce", "kafka-producer-perf-test");
  perf_produce_cmd->add_option("topic,--topic", perf_produce.topic, "Topic name")->required();
  perf_produce_cmd->add_option("--num-records", perf_produce.num_records, "Records to send")
      ->required()
      ->check(CLI::PositiveNumber);
  perf_produce_cmd->add_option("--record-size", perf_produce.record_size, "Value size in bytes")
      ->check(CLI::PositiveNumber);
  perf_produce_cmd->add_option("--throughput", perf_produce.throughput,
                               "Records/s to aim at; -1: as fast as possible");
  perf_produce_cmd->add_option("--producer-props", perf_produce.producer_props,
                               "Producer properties k=v (batch.size=16384 linger.ms=5 acks=all ...)");
  perf_produce_cmd->add_option("--reporting-interval", perf_produce.reporting_interval_ms,
                               "Progress line every N ms")
      ->check(CLI::PositiveNumber);
  perf_produce_cmd->callback([&] { code = keel::keelctl::PerfProduce(g, perf_produce); });
  keel::keelctl::PerfConsumeOptions perf_consume;
  auto* perf_consume_cmd = perf->add_subcommand("consume", "kafka-consumer-perf-test");
  perf_consume_cmd->add_option("topic,--topic", perf_consume.topic, "Topic name")->required();
  perf_consume_cmd->add_option("--messages", perf_consume.messages, "Records to consume")
      ->required()
      ->check(CLI::PositiveNumber);
  perf_consume_cmd->add_flag("--from-latest", perf_consume.from_latest,
                             "Start at the end (default: the beginning)");
  perf_consume_cmd->add_option("--consumer-props", perf_consume.consumer_props,
                               "Consumer properties k=v (fetch.max.wait.ms=500 ...)");
  perf_consume_cmd->add_option("--reporting-interval", perf_consume.reporting_interval_ms,
                               "Progress line every N ms")
      ->check(CLI::PositiveNumber);
  perf_consume_cmd->callback([&] { code = keel::keelctl::PerfConsume(g, perf_consume); });

  auto* groups = app.add_subcommand("groups", "Consumer groups (kafka-consumer-groups)");
  groups->require_subcommand(1);
  bool groups_list_state = false;
  auto* groups_list_cmd =
      groups->add_subcommand("list", "Every group, from every broker (its coordinator)");
  groups_list_cmd->add_flag("--state", groups_list_state, "Show each group's state");
  groups_list_cmd->callback([&] { code = keel::keelctl::GroupsList(g, groups_list_state); });
  keel::keelctl::GroupsDescribeOptions groups_describe;
  auto* groups_describe_cmd = groups->add_subcommand(
      "describe", "Offsets, log end offsets, lag and owner of each partition of a group");
  groups_describe_cmd->add_option("group,--group", groups_describe.group, "Group id")
      ->required();
  auto* members_flag =
      groups_describe_cmd->add_flag("--members", groups_describe.members, "One row per member");
  groups_describe_cmd
      ->add_flag("--state", groups_describe.state, "Coordinator, strategy, state, members")
      ->excludes(members_flag);
  groups_describe_cmd->callback(
      [&] { code = keel::keelctl::GroupsDescribe(g, groups_describe); });
  keel::keelctl::GroupsResetOptions groups_reset;
  int64_t reset_to_offset = 0;
  int64_t reset_shift_by = 0;
  auto* groups_reset_cmd = groups->add_subcommand(
      "reset-offsets", "Plan (or with --execute, commit) new offsets of an inactive group");
  groups_reset_cmd->add_option("group,--group", groups_reset.group, "Group id")->required();
  groups_reset_cmd->add_option("--topic", groups_reset.topic, "Topic (every partition)")
      ->required();
  groups_reset_cmd->add_flag("--to-earliest", groups_reset.to_earliest, "The log start offsets");
  groups_reset_cmd->add_flag("--to-latest", groups_reset.to_latest, "The log end offsets");
  auto* to_offset_opt =
      groups_reset_cmd->add_option("--to-offset", reset_to_offset, "This offset");
  auto* shift_by_opt = groups_reset_cmd->add_option(
      "--shift-by", reset_shift_by, "The committed offset plus N (N may be negative)");
  groups_reset_cmd->add_flag("--execute", groups_reset.execute,
                             "Commit the offsets (default: print the plan only)");
  groups_reset_cmd->callback([&] {
    if (to_offset_opt->count() > 0) groups_reset.to_offset = reset_to_offset;
    if (shift_by_opt->count() > 0) groups_reset.shift_by = reset_shift_by;
    code = keel::keelctl::GroupsResetOffsets(g, groups_reset);
  });
  std::string groups_delete_id;
  auto* groups_delete_cmd = groups->add_subcommand("delete", "Delete an inactive group");
  groups_delete_cmd->add_option("group,--group", groups_delete_id, "Group id")->required();
  groups_delete_cmd->callback([&] { code = keel::keelctl::GroupsDelete(g, groups_delete_id); });

  auto* brokers = app.add_subcommand("brokers", "Registered brokers");
  brokers->require_subcommand(1);
  brokers->add_subcommand("list", "Id, address, rack, epoch and state of every broker")
      ->callback([&] { code = keel::keelctl::BrokersList(g); });

  auto* metadata = app.add_subcommand("metadata", "The replicated metadata log and image");
  metadata->require_subcommand(1);
  keel::keelctl::MetadataLogOptions log_options;
  auto* log_cmd = metadata->add_subcommand(
      "log", "Every committed record, decoded, with its offset and epoch (stops once caught up)");
  log_cmd->add_option("--from", log_options.from, "First offset to print (default: the start)");
  log_cmd->add_flag("--follow,-f", log_options.follow,
                    "Keep printing new records until interrupted (JSON: one document a line)");
  log_cmd->callback([&] { code = keel::keelctl::MetadataLog(g, log_options); });
  metadata->add_subcommand("image", "The current metadata image as a tree (or JSON)")
      ->callback([&] { code = keel::keelctl::MetadataImage(g); });

  keel::keelctl::ProduceOptions produce;
  auto* produce_cmd =
      app.add_subcommand("produce", "Send one record per stdin line to a topic's leaders");
  produce_cmd->add_option("topic", produce.topic, "Topic name")->required();
  produce_cmd->add_option("--partition", produce.partition,
                          "Partition (default: murmur2 of the key as Kafka, else sticky)")
      ->check(CLI::NonNegativeNumber);
  produce_cmd->add_option("--key-separator", produce.key_separator,
                          "Split each line into key and value at the first SEP");
  produce_cmd->add_option("--acks", produce.acks, "Acknowledgements to wait for")
      ->check(CLI::IsMember({"none", "leader", "all"}));
  produce_cmd->callback([&] { code = keel::keelctl::Produce(g, produce); });

  keel::keelctl::ConsumeOptions consume;
  auto* consume_cmd = app.add_subcommand(
      "consume", "Print a topic's records (stops at the end, or after --max-messages)");
  consume_cmd->add_option("topic", consume.topic, "Topic name")->required();
  consume_cmd->add_option("--partition", consume.partition, "Partition (default: all)")
      ->check(CLI::NonNegativeNumber);
  auto* from_beginning = consume_cmd->add_flag("--from-beginning", consume.from_beginning,
                                               "Start at the earliest offset (default: latest)");
  auto* offset_opt = consume_cmd->add_option("--offset", consume.offset, "Start at this offset")
      ->check(CLI::NonNegativeNumber)
      ->excludes(from_beginning);
  consume_cmd->add_option("--group", consume.group,
                          "Consume as a member of this group: its partitions, from its "
                          "committed offsets, committing what was printed")
      ->excludes(offset_opt);
  consume_cmd->add_option("--max-messages", consume.max_messages,
                          "Stop after N records (waiting for them up to --timeout-ms)")
      ->check(CLI::PositiveNumber);
  consume_cmd->add_flag("--print-offset", consume.print_offset, "Prefix Partition:P Offset:N");
  consume_cmd->add_flag("--print-key", consume.print_key, "Print the key before the value");
  consume_cmd->callback([&] { code = keel::keelctl::Consume(g, consume); });

  keel::keelctl::LocalClusterOptions local;
  auto* cluster = app.add_subcommand("cluster", "Run a whole cluster as local processes under a dir");
  cluster->require_subcommand(1);
  auto add_dir = [&](CLI::App* cmd) {
    cmd->add_option("--dir", local.dir, "Directory holding cluster.json, data and logs")
        ->required();
  };
  auto* up_cmd = cluster->add_subcommand("up", "Start controllers and brokers; wait until ready");
  add_dir(up_cmd);
  up_cmd->add_option("--controllers-count", local.controllers_count, "Controllers (voters)");
  up_cmd->add_option("--brokers-count", local.brokers_count, "Brokers");
  up_cmd->add_option("--base-port", local.base_port,
                     "Controllers listen on base.., brokers on base+100.., metrics base+200/+300");
  up_cmd->add_option("--bin-dir", local.bin_dir,
                     "Where keel-controller and keel-broker are (default: found next to keelctl, "
                     "in bazel-bin, or on PATH)");
  up_cmd->add_option("--wait-ms", local.wait_ms, "How long to wait for a leader and brokers")
      ->check(CLI::PositiveNumber);
  up_cmd->add_option("--controller-arg", local.controller_args,
                     "Extra flag for every controller (repeatable)");
  up_cmd->add_option("--broker-arg", local.broker_args, "Extra flag for every broker (repeatable)");
  up_cmd->add_flag("--tls", local.tls,
                   "Mutual TLS everywhere: a throwaway CA and per-node certificates made with "
                   "openssl under DIR/tls (docs/security.md)");
  up_cmd->callback([&] { code = keel::keelctl::ClusterUp(g, local, argv[0]); });
  auto* status_cmd = cluster->add_subcommand("status", "Every node: pid, state and health");
  add_dir(status_cmd);
  status_cmd->callback([&] { code = keel::keelctl::ClusterStatus(g, local); });
  auto* down_cmd = cluster->add_subcommand("down", "Stop every node by pid (SIGTERM, then SIGKILL)");
  add_dir(down_cmd);
  down_cmd->add_option("--grace-ms", local.grace_ms, "Time between SIGTERM and SIGKILL")
      ->check(CLI::NonNegativeNumber);
  down_cmd->callback([&] { code = keel::keelctl::ClusterDown(g, local); });
  auto* logs_cmd = cluster->add_subcommand("logs", "Print one node's log");
  add_dir(logs_cmd);
  logs_cmd->add_option("node", local.node, "controller-N or broker-N")->required();
  logs_cmd->add_option("--tail", local.tail_lines, "Only the last N lines")
      ->check(CLI::NonNegativeNumber);
  logs_cmd->callback([&] { code = keel::keelctl::ClusterLogs(g, local); });
  auto* restart_cmd =
      cluster->add_subcommand("restart-node", "Start one stopped node again from its argv");
  add_dir(restart_cmd);
  restart_cmd->add_option("node", local.node, "controller-N or broker-N")->required();
  restart_cmd->add_option("--wait-ms", local.wait_ms, "How long to wait for it to be ready")
      ->check(CLI::PositiveNumber);
  restart_cmd->callback([&] { code = keel::keelctl::ClusterRestartNode(g, local, argv[0]); });

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
