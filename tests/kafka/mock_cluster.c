// mock_cluster: librdkafka's in-process mock Kafka cluster (rdkafka_mock.h, Debian's
// librdkafka-dev 2.0.2) as a standalone process: a reference broker that kcat, confluent-kafka,
// kafka-python and kafkajs accept, used to develop tests/kafka/ and as the benchmark's upper
// bound (tests/bench/kafka_bench.c, docs/BENCHMARKS.md).
//
//   mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...
//
// Creates N brokers (ids 1..N) listening on 127.0.0.1 ephemeral ports and the given topics
// (replication factor min(N, 3)), prints one line "bootstrap.servers=HOST:PORT,..." on stdout,
// then serves until SIGTERM or SIGINT. The mock answers CreateTopics with an error (librdkafka
// does not implement it); topics are also auto-created on first use.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void OnSignal(int signo) {
  (void)signo;
  stop_requested = 1;
}

static int Usage(const char* argv0) {
  fprintf(stderr, "usage: %s [--brokers N] [--topic NAME:PARTITIONS]...\n", argv0);
  return 2;
}

// Parses "NAME:PARTITIONS" into name (truncated to name_size) and partitions; 0 on success.
static int ParseTopic(const char* spec, char* name, size_t name_size, int* partitions) {
  const char* colon = strrchr(spec, ':');
  if (colon == NULL || colon == spec || (size_t)(colon - spec) >= name_size) return -1;
  char* end = NULL;
  errno = 0;
  long n = strtol(colon + 1, &end, 10);
  if (errno != 0 || *end != '\0' || n < 1 || n > 10000) return -1;
  memcpy(name, spec, (size_t)(colon - spec));
  name[colon - spec] = '\0';
  *partitions = (int)n;
  return 0;
}

int main(int argc, char** argv) {
  int brokers = 1;
  // First pass: flags that shape the cluster; topics are created once it exists.
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      char* end = NULL;
      long n = strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > 64) return Usage(argv[0]);
      brokers = (int)n;
    } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
      ++i;
    } else {
      return Usage(argv[0]);
    }
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only owns the mock cluster's threads; it never connects anywhere.
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock_cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == NULL) {
    fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  const int replication_factor = brokers < 3 ? brokers : 3;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--topic") != 0) {
      ++i;  // --brokers N
      continue;
    }
    char name[256];
    int partitions = 0;
    if (ParseTopic(argv[++i], name, sizeof(name), &partitions) != 0) {
      fprintf(stderr, "mock_cluster: bad --topic '%s' (want NAME:PARTITIONS)\n", argv[i]);
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(rk);
      return 2;
    }
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, name, partitions, replication_factor);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "mock_cluster: creating %s: %s\n", name, rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(rk);
      return 1;
    }
  }

  // SIGTERM and SIGINT stay blocked except inside sigsuspend, so none is lost between the
  // flag's check and the wait.
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, &previous);

  printf("bootstrap.servers=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  while (!stop_requested) sigsuspend(&previous);

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
