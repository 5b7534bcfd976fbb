// keelctl groups list | describe | reset-offsets | delete: kafka-consumer-groups over the
// brokers' GroupService (client::GroupClient). list asks every broker (each answers the
// groups it coordinates); describe decodes the members' ConsumerProtocol assignments to show
// which member owns which partition, and the log end offsets come from each partition's
// leader (ListOffsets), so LAG = LOG-END-OFFSET - CURRENT-OFFSET as in Kafka's tool.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "client/channels.h"
#include "client/consumer.h"
#include "client/consumer_protocol.h"
#include "client/errors.h"
#include "client/group_client.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/connect.h"
#include "tools/ctl/output.h"

namespace keel::keelctl {
namespace {

namespace pb = keel::group;
using std::chrono::milliseconds;

int Fail(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(), message.c_str());
  return 1;
}

struct Broker {
  int32_t id = -1;
  std::string address;  // gRPC host:port
};

// Every broker's gRPC address: from the controllers when given, else --brokers.
absl::StatusOr<std::vector<Broker>> Brokers(const GlobalOptions& g) {
  std::vector<Broker> out;
  if (!client::SplitAddresses(g.controllers).empty()) {
    auto described = AdminFor(g)->DescribeCluster();
    if (!described.ok()) return described.status();
    for (const auto& b : described->brokers()) {
      for (const auto& e : b.endpoints()) {
        if (e.name() != "DATA") continue;
        out.push_back({b.broker_id(), absl::StrCat(e.host(), ":", e.port())});
      }
    }
  } else {
    for (const std::string& a : client::SplitAddresses(g.brokers)) out.push_back({-1, a});
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        "no brokers (use --controllers or KEEL_CONTROLLERS, or --brokers)");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<client::GroupClient>> GroupClientFor(const GlobalOptions& g) {
  auto brokers = Brokers(g);
  if (!brokers.ok()) return brokers.status();
  client::GroupClientOptions options;
  for (const Broker& b : *brokers) options.bootstrap_brokers.push_back(b.address);
  options.request_timeout_ms = g.timeout_ms;
  return std::make_unique<client::GroupClient>(options);
}

// The group's description from its coordinator; NotFound for an unknown (Dead) group.
absl::StatusOr<pb::GroupDescription> Describe(client::GroupClient& groups,
                                              const std::string& group_id) {
  pb::DescribeGroupsRequest request;
  request.add_group_ids(group_id);
  auto described = groups.DescribeGroups(request);
  if (!described.ok()) return described.status();
  if (described->groups_size() != 1) return absl::InternalError("no description returned");
  const pb::GroupDescription& d = described->groups(0);
  if (d.error() != keel::NONE) return client::ErrorStatus(d.error(), d.error_message());
  return d;
}

struct Owner {
  std::string member_id, host, client_id;
};

// topic/partition -> the member the group's leader assigned it to (consumer groups only).
std::map<client::TopicPartition, Owner> Owners(const pb::GroupDescription& d) {
  std::map<client::TopicPartition, Owner> out;
  if (d.protocol_type() != client::kConsumerProtocolType) return out;
  for (const auto& m : d.members()) {
    auto a = client::DecodeAssignment(m.assignment());
    if (!a.ok()) continue;  // another client's bytes we cannot read: shown without owner
    for (const auto& [topic, partitions] : a->partitions) {
      for (int32_t p : partitions) out[{topic, p}] = {m.member_id(), m.client_host(), m.client_id()};
    }
  }
  return out;
}

int32_t AssignedCount(const pb::GroupMemberDescription& m) {
  auto a = client::DecodeAssignment(m.assignment());
  if (!a.ok()) return 0;
  int32_t n = 0;
  for (const auto& [t, ps] : a->partitions) n += static_cast<int32_t>(ps.size());
  return n;
}

std::string OrDash(int64_t v) { return v < 0 ? "-" : std::to_string(v); }
std::string OrDash(const std::string& v) { return v.empty() ? "-" : v; }

bool Inactive(const pb::GroupDescription& d) {
  return d.state() == "Empty" || d.state() == "Dead";
}

}  // namespace

int GroupsList(const GlobalOptions& g, bool with_state) {
  auto brokers = Brokers(g);
  if (!brokers.ok()) return ReportError("groups list", brokers.status());
  client::GroupClientOptions options;
  options.request_timeout_ms = g.timeout_ms;
  client::GroupClient groups(options);
  std::vector<std::pair<Broker, pb::ListedGroup>> found;
  int failures = 0;
  for (const Broker& b : *brokers) {
    auto listed = groups.ListGroups(b.address, {}, milliseconds(g.timeout_ms));
    if (!listed.ok()) {
      // As kafka-consumer-groups: the groups of the brokers that answered, and a warning.
      std::fprintf(stderr, "keelctl: groups list: broker %s: %s\n", b.address.c_str(),
                   std::string(listed.status().message()).c_str());
      ++failures;
      continue;
    }
    for (const auto& l : listed->groups()) found.push_back({b, l});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& x, const auto& y) { return x.second.group_id() < y.second.group_id(); });
  if (g.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [b, l] : found) {
      out.push_back({{"Group", l.group_id()},
                     {"State", l.state()},
                     {"ProtocolType", l.protocol_type()},
                     {"Members", l.member_count()},
                     {"Coordinator", b.address}});
    }
    std::cout << nlohmann::json{{"Groups", out}}.dump(2) << "\n";
  } else if (with_state) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [b, l] : found) rows.push_back({l.group_id(), l.state()});
    std::cout << FormatTable({"GROUP", "STATE"}, rows);
  } else {
    for (const auto& [b, l] : found) std::printf("%s\n", l.group_id().c_str());
  }
  return failures == static_cast<int>(brokers->size()) ? 1 : 0;
}

int GroupsDescribe(const GlobalOptions& g, const GroupsDescribeOptions& o) {
  const std::string what = "groups describe " + o.group;
  auto groups = GroupClientFor(g);
  if (!groups.ok()) return ReportError(what, groups.status());
  auto described = Describe(**groups, o.group);
  if (!described.ok()) return ReportError(what, described.status());
  const pb::GroupDescription& d = *described;
  if (d.state() == "Dead") return Fail(what, "consumer group '" + o.group + "' does not exist");

  if (o.state) {
    const std::string coordinator = (*groups)->CachedCoordinator(o.group);
    if (g.json()) {
      std::cout << nlohmann::json{{"Group", o.group},
                                  {"Coordinator", coordinator},
                                  {"AssignmentStrategy", d.protocol_name()},
                                  {"State", d.state()},
                                  {"Generation", d.generation_id()},
                                  {"Members", d.members_size()}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << FormatTable(
          {"GROUP", "COORDINATOR", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"},
          {{o.group, coordinator, OrDash(d.protocol_name()), d.state(),
            std::to_string(d.members_size())}});
    }
    return 0;
  }

  if (o.members) {
    if (g.json()) {
      nlohmann::json members = nlohmann::json::array();
      for (const auto& m : d.members()) {
        members.push_back({{"ConsumerId", m.member_id()},
                           {"Host", m.client_host()},
                           {"ClientId", m.client_id()},
                           {"Partitions", AssignedCount(m)}});
      }
      std::cout << nlohmann::json{{"Group", o.group}, {"State", d.state()}, {"Members", members}}
                       .dump(2)
                << "\n";
      return 0;
    }
    if (d.members_size() == 0) {
      std::printf("Consumer group '%s' has no active members.\n", o.group.c_str());
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : d.members()) {
      rows.push_back({o.group, m.member_id(), m.client_host(), m.client_id(),
                      std::to_string(AssignedCount(m))});
    }
    std::cout << FormatTable({"GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"}, rows);
    return 0;
  }

  // Offsets: every committed partition and every assigned one.
  pb::OffsetFetchRequest fetch;
  fetch.set_group_id(o.group);
  auto fetched = (*groups)->OffsetFetch(fetch);
  if (!fetched.ok()) return ReportError(what, fetched.status());
  if (fetched->error() != keel::NONE) {
    return ReportError(what, client::ErrorStatus(fetched->error(), fetched->error_message()));
  }
  std::map<client::TopicPartition, int64_t> committed;
  for (const auto& f : fetched->offsets()) committed[{f.topic(), f.partition()}] = f.offset();
  const std::map<client::TopicPartition, Owner> owners = Owners(d);
  std::set<client::TopicPartition> partitions;
  for (const auto& [tp, off] : committed) partitions.insert(tp);
  for (const auto& [tp, owner] : owners) partitions.insert(tp);
  // Log end offsets from the partitions' leaders (needs the controllers for leaders).
  std::map<client::TopicPartition, int64_t> log_end;
  if (!client::SplitAddresses(g.controllers).empty() && !partitions.empty()) {
    client::Consumer consumer(client::ConsumerConfig{}, MetadataFor(g));
    for (const auto& tp : partitions) {
      auto end = consumer.OffsetForTime(tp, client::kLatestOffset,
                                        milliseconds(std::min<int64_t>(g.timeout_ms, 5000)));
      log_end[tp] = end.ok() ? *end : -1;
    }
  }
  struct Row {
    client::TopicPartition tp;
    int64_t current = -1, end = -1, lag = -1;
    Owner owner;
  };
  std::vector<Row> rows;
  for (const auto& tp : partitions) {
    Row r{tp};
    auto c = committed.find(tp);
    if (c != committed.end()) r.current = c->second;
    auto e = log_end.find(tp);
    if (e != log_end.end()) r.end = e->second;
    if (r.current >= 0 && r.end >= 0) r.lag = std::max<int64_t>(0, r.end - r.current);
    auto w = owners.find(tp);
    if (w != owners.end()) r.owner = w->second;
    rows.push_back(r);
  }
  if (g.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const Row& r : rows) {
      out.push_back({{"Group", o.group},
                     {"Topic", r.tp.topic},
                     {"Partition", r.tp.partition},
                     {"CurrentOffset", r.current},
                     {"LogEndOffset", r.end},
                     {"Lag", r.lag},
                     {"ConsumerId", r.owner.member_id},
                     {"Host", r.owner.host},
                     {"ClientId", r.owner.client_id}});
    }
    std::cout << nlohmann::json{{"Group", o.group}, {"State", d.state()}, {"Partitions", out}}
                     .dump(2)
              << "\n";
    return 0;
  }
  if (d.members_size() == 0) {
    std::printf("Consumer group '%s' has no active members.\n\n", o.group.c_str());
  }
  std::vector<std::vector<std::string>> table;
  for (const Row& r : rows) {
    table.push_back({o.group, r.tp.topic, std::to_string(r.tp.partition), OrDash(r.current),
                     OrDash(r.end), OrDash(r.lag), OrDash(r.owner.member_id),
                     OrDash(r.owner.host), OrDash(r.owner.client_id)});
  }
  // Members that hold no partition get a row of their own, as in Kafka's tool.
  std::set<std::string> owning;
  for (const auto& [tp, owner] : owners) owning.insert(owner.member_id);
  for (const auto& m : d.members()) {
    if (owning.count(m.member_id()) > 0) continue;
    table.push_back({o.group, "-", "-", "-", "-", "-", m.member_id(), OrDash(m.client_host()),
                     OrDash(m.client_id())});
  }
  std::cout << FormatTable({"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                            "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"},
                           table);
  return 0;
}

int GroupsResetOffsets(const GlobalOptions& g, const GroupsResetOptions& o) {
  const std::string what = "groups reset-offsets " + o.group;
  const int modes = int{o.to_earliest} + int{o.to_latest} + int{o.to_offset.has_value()} +
                    int{o.shift_by.has_value()};
  if (modes != 1) {
    std::fprintf(stderr,
                 "keelctl: %s: give exactly one of --to-earliest, --to-latest, --to-offset, "
                 "--shift-by\n",
                 what.c_str());
    return 2;
  }
  if (client::SplitAddresses(g.controllers).empty()) {
    return Fail(what, "needs --controllers (or KEEL_CONTROLLERS) to find the topic's partitions");
  }
  auto groups = GroupClientFor(g);
  if (!groups.ok()) return ReportError(what, groups.status());
  auto described = Describe(**groups, o.group);
  if (!described.ok()) return ReportError(what, described.status());
  if (!Inactive(*described)) {
    return Fail(what, "the group has " + std::to_string(described->members_size()) +
                          " active member(s) (state " + described->state() +
                          "); offsets can only be reset while the group is inactive: stop its "
                          "consumers first");
  }
  std::shared_ptr<client::MetadataCache> metadata = MetadataFor(g);
  auto topic = metadata->Topic(o.topic, milliseconds(g.timeout_ms));
  if (!topic.ok()) return ReportError(what, topic.status());
  pb::OffsetFetchRequest fetch;
  fetch.set_group_id(o.group);
  auto* ft = fetch.add_topics();
  ft->set_topic(o.topic);
  for (const auto& p : (*topic)->partitions) ft->add_partitions(p.partition);
  auto fetched = (*groups)->OffsetFetch(fetch);
  if (!fetched.ok()) return ReportError(what, fetched.status());
  if (fetched->error() != keel::NONE) {
    return ReportError(what, client::ErrorStatus(fetched->error(), fetched->error_message()));
  }
  std::map<int32_t, int64_t> current;
  for (const auto& f : fetched->offsets()) current[f.partition()] = f.offset();

  client::Consumer consumer(client::ConsumerConfig{}, metadata);
  const milliseconds per_call(std::min<int64_t>(g.timeout_ms, 5000));
  struct Plan {
    int32_t partition;
    int64_t current, target;
  };
  std::vector<Plan> plan;
  for (const auto& p : (*topic)->partitions) {
    const client::TopicPartition tp{o.topic, p.partition};
    auto earliest = consumer.OffsetForTime(tp, client::kEarliestOffset, per_call);
    auto latest = consumer.OffsetForTime(tp, client::kLatestOffset, per_call);
    if (!earliest.ok()) return ReportError(what, earliest.status());
    if (!latest.ok()) return ReportError(what, latest.status());
    const int64_t now = current.count(p.partition) > 0 ? current[p.partition] : -1;
    int64_t target;
    if (o.to_earliest) {
      target = *earliest;
    } else if (o.to_latest) {
      target = *latest;
    } else if (o.to_offset.has_value()) {
      target = *o.to_offset;
    } else {
      // Kafka shifts from the committed offset (the latest when none is committed).
      target = (now >= 0 ? now : *latest) + *o.shift_by;
    }
    // Out-of-range targets are moved to the nearest end, as Kafka's tool does.
    target = std::clamp(target, *earliest, *latest);
    plan.push_back({p.partition, now, target});
  }
  if (o.execute) {
    pb::OffsetCommitRequest commit;  // a "simple" commit: allowed only while the group is Empty
    commit.set_group_id(o.group);
    commit.set_generation_id(-1);
    auto* t = commit.add_topics();
    t->set_topic(o.topic);
    for (const Plan& p : plan) {
      auto* cp = t->add_partitions();
      cp->set_partition(p.partition);
      cp->set_offset(p.target);
      cp->set_leader_epoch(-1);
    }
    auto committed = (*groups)->OffsetCommit(commit);
    if (!committed.ok()) return ReportError(what, committed.status());
    if (committed->error() != keel::NONE) {
      return ReportError(what,
                         client::ErrorStatus(committed->error(), committed->error_message()));
    }
    for (const auto& r : committed->topics(0).partitions()) {
      if (r.error() != keel::NONE) {
        return ReportError(what, client::ErrorStatus(
                                     r.error(), "partition " + std::to_string(r.partition())));
      }
    }
  }
  if (g.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const Plan& p : plan) {
      out.push_back({{"Group", o.group},
                     {"Topic", o.topic},
                     {"Partition", p.partition},
                     {"CurrentOffset", p.current},
                     {"NewOffset", p.target}});
    }
    std::cout << nlohmann::json{{"Executed", o.execute}, {"Offsets", out}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Plan& p : plan) {
    rows.push_back({o.group, o.topic, std::to_string(p.partition), OrDash(p.current),
                    std::to_string(p.target)});
  }
  std::cout << FormatTable({"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"}, rows);
  if (!o.execute) std::printf("\nDry run: nothing changed; add --execute to commit these offsets.\n");
  return 0;
}

int GroupsDelete(const GlobalOptions& g, const std::string& group) {
  const std::string what = "groups delete " + group;
  auto groups = GroupClientFor(g);
  if (!groups.ok()) return ReportError(what, groups.status());
  pb::DeleteGroupsRequest request;
  request.add_group_ids(group);
  auto deleted = (*groups)->DeleteGroups(request);
  if (!deleted.ok()) return ReportError(what, deleted.status());
  const keel::ErrorCode e = deleted->results(0).error();
  if (e == keel::NON_EMPTY_GROUP) {
    return Fail(what, "NON_EMPTY_GROUP: the group has active members; stop them first");
  }
  if (e == keel::GROUP_ID_NOT_FOUND) {
    return Fail(what, "GROUP_ID_NOT_FOUND: consumer group '" + group + "' does not exist");
  }
  if (e != keel::NONE) return ReportError(what, client::ErrorStatus(e, ""));
  if (g.json()) {
    std::cout << nlohmann::json{{"Deleted", {group}}}.dump(2) << "\n";
  } else {
    std::printf("Deletion of requested consumer groups ('%s') was successful.\n", group.c_str());
  }
  return 0;
}

}  // namespace keel::keelctl
