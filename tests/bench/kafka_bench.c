// kafka_bench: one librdkafka 2.0.2 producer, then one consumer, against any Kafka-protocol
// bootstrap (Keel's Kafka listener, or librdkafka's mock cluster: tests/kafka/mock_cluster).
// Driven by tests/bench/kafka_bench.sh; the numbers and how to read them are in
// docs/BENCHMARKS.md ("Kafka protocol").
//
//   kafka_bench --bootstrap HOST:PORT --topic T [--value_bytes 100] [--records 1000000]
//               [--acks 1|all|0] [--partition 0] [--fetch_rounds 3] [-X key=value]...
//
// produce  --records records of --value_bytes bytes (a fixed pattern, no key), all to one
//          partition, as fast as librdkafka batches them (its defaults: linger.ms 5,
//          batch.size 1000000); timed from the first produce() call to the last delivery
//          report. Any delivery error fails the run.
// fetch    --fetch_rounds (3) times, a new consumer with manual assignment (a group id but no
//          join, no commits) reads the partition from its low watermark to its high watermark
//          (everything produced on Keel; the newest few MB on the mock, which trims its logs),
//          checking every offset and size, timed from assign() to the last record; the round
//          with the median rate is reported.
// Prints one line per phase: "produce records=N value_bytes=S seconds=T records_per_s=R
// MB_per_s=M" (MB = 10^6 bytes of values only, as tests/bench/broker_bench counts them).
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

typedef struct {
  const char* bootstrap;
  const char* topic;
  long value_bytes;
  long records;
  const char* acks;
  int partition;
  int fetch_rounds;
  const char* extra[32];  // "key=value" for -X, applied to both clients
  int extra_count;
} Options;

typedef struct {
  long delivered;
  long failed;
  char first_error[256];
} DeliveryState;

static double NowSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int Usage(void) {
  fprintf(stderr,
          "usage: kafka_bench --bootstrap HOST:PORT --topic T [--value_bytes N] [--records N]\n"
          "                   [--acks 1|all|0] [--partition P] [--fetch_rounds N] [-X key=value]...\n");
  return 2;
}

static int ParseLong(const char* text, long min, long max, long* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int ParseOptions(int argc, char** argv, Options* o) {
  memset(o, 0, sizeof(*o));
  o->value_bytes = 100;
  o->records = 1000000;
  o->acks = "1";
  o->fetch_rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const char* flag = argv[i];
    if (i + 1 >= argc) return -1;
    const char* value = argv[++i];
    long n = 0;
    if (strcmp(flag, "--bootstrap") == 0) {
      o->bootstrap = value;
    } else if (strcmp(flag, "--topic") == 0) {
      o->topic = value;
    } else if (strcmp(flag, "--value_bytes") == 0) {
      if (ParseLong(value, 0, 1 << 20, &o->value_bytes) != 0) return -1;
    } else if (strcmp(flag, "--records") == 0) {
      if (ParseLong(value, 1, 1000000000L, &o->records) != 0) return -1;
    } else if (strcmp(flag, "--acks") == 0) {
      o->acks = value;
    } else if (strcmp(flag, "--partition") == 0) {
      if (ParseLong(value, 0, 1000000, &n) != 0) return -1;
      o->partition = (int)n;
    } else if (strcmp(flag, "--fetch_rounds") == 0) {
      if (ParseLong(value, 1, 15, &n) != 0) return -1;
      o->fetch_rounds = (int)n;
    } else if (strcmp(flag, "-X") == 0) {
      if (o->extra_count == 32 || strchr(value, '=') == NULL) return -1;
      o->extra[o->extra_count++] = value;
    } else {
      return -1;
    }
  }
  return o->bootstrap != NULL && o->topic != NULL ? 0 : -1;
}

static int Set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka_bench: %s=%s: %s\n", key, value, errstr);
    return -1;
  }
  return 0;
}

static rd_kafka_conf_t* BaseConf(const Options* o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (Set(conf, "bootstrap.servers", o->bootstrap) != 0) goto fail;
  for (int i = 0; i < o->extra_count; ++i) {
    char key[256];
    const char* eq = strchr(o->extra[i], '=');
    size_t len = (size_t)(eq - o->extra[i]);
    if (len >= sizeof(key)) goto fail;
    memcpy(key, o->extra[i], len);
    key[len] = '\0';
    if (Set(conf, key, eq + 1) != 0) goto fail;
  }
  return conf;
fail:
  rd_kafka_conf_destroy(conf);
  return NULL;
}

static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  DeliveryState* state = (DeliveryState*)opaque;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (state->failed++ == 0) {
      snprintf(state->first_error, sizeof(state->first_error), "%s", rd_kafka_err2str(m->err));
    }
  } else {
    state->delivered++;
  }
}

static void Report(const char* phase, const Options* o, long records, double seconds) {
  printf("%s records=%ld value_bytes=%ld acks=%s seconds=%.3f records_per_s=%.0f MB_per_s=%.2f\n",
         phase, records, o->value_bytes, o->acks, seconds, records / seconds,
         (double)records * (double)o->value_bytes / seconds / 1e6);
  fflush(stdout);
}

static int Produce(const Options* o) {
  rd_kafka_conf_t* conf = BaseConf(o);
  if (conf == NULL) return -1;
  DeliveryState state;
  memset(&state, 0, sizeof(state));
  if (Set(conf, "acks", o->acks) != 0 || Set(conf, "queue.buffering.max.messages", "1000000") != 0 ||
      Set(conf, "queue.buffering.max.kbytes", "1048576") != 0) {
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_opaque(conf, &state);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "kafka_bench: producer: %s\n", errstr);
    return -1;
  }
  char* value = malloc((size_t)o->value_bytes + 1);
  for (long i = 0; i < o->value_bytes; ++i) value[i] = (char)('a' + (i * 7919) % 26);

  double start = NowSeconds();
  for (long i = 0; i < o->records; ++i) {
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(o->partition),
          RD_KAFKA_V_VALUE(value, (size_t)o->value_bytes), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "kafka_bench: produce: %s\n", rd_kafka_err2str(err));
        free(value);
        rd_kafka_destroy(rk);
        return -1;
      }
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  // Delivery reports come in from poll(); flush() waits for the last.
  rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, 120 * 1000);
  double seconds = NowSeconds() - start;
  free(value);
  rd_kafka_destroy(rk);
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || state.failed > 0 || state.delivered != o->records) {
    fprintf(stderr, "kafka_bench: produce: %ld delivered, %ld failed (%s), flush: %s\n",
            state.delivered, state.failed, state.first_error, rd_kafka_err2str(flushed));
    return -1;
  }
  Report("produce", o, o->records, seconds);
  return 0;
}

// One fetch round: a new consumer reads [low, high) of the partition from `low`.
static int FetchRound(const Options* o, double* seconds_out, long* records_out) {
  rd_kafka_conf_t* conf = BaseConf(o);
  if (conf == NULL) return -1;
  // librdkafka 2.0.2 refuses assign() without a group id; nothing is joined or committed.
  if (Set(conf, "enable.partition.eof", "false") != 0 ||
      Set(conf, "group.id", "kafka-bench-assign") != 0 ||
      Set(conf, "enable.auto.commit", "false") != 0) {
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "kafka_bench: consumer: %s\n", errstr);
    return -1;
  }
  // The mock cluster keeps only the newest few MB of a partition, so the round reads what the
  // partition holds (on Keel: everything produced).
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(rk, o->topic, o->partition, &low, &high, 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high <= low) {
    fprintf(stderr, "kafka_bench: watermarks: %s (low %" PRId64 ", high %" PRId64 ")\n",
            rd_kafka_err2str(err), low, high);
    rd_kafka_destroy(rk);
    return -1;
  }
  const long want = (long)(high - low);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, o->topic, o->partition)->offset = low;
  double start = NowSeconds();
  err = rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "kafka_bench: assign: %s\n", rd_kafka_err2str(err));
    rd_kafka_destroy(rk);
    return -1;
  }
  long received = 0;
  int64_t next = low;
  int rc = 0;
  while (received < want) {
    if (NowSeconds() > start + 120) {
      fprintf(stderr, "kafka_bench: fetch: %ld of %ld records after 120 s\n", received, want);
      rc = -1;
      break;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == NULL) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->offset != next ||
        (long)m->len != o->value_bytes) {
      fprintf(stderr, "kafka_bench: fetch: %s at offset %" PRId64 " (want %" PRId64
                      "), %zu bytes (want %ld)\n",
              m->err ? rd_kafka_message_errstr(m) : "unexpected record", m->offset, next, m->len,
              o->value_bytes);
      rd_kafka_message_destroy(m);
      rc = -1;
      break;
    }
    ++next;
    ++received;
    rd_kafka_message_destroy(m);
  }
  *seconds_out = NowSeconds() - start;
  *records_out = received;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return rc;
}

static int CompareDoubles(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

// --fetch_rounds rounds; prints each and the one with the median rate.
static int Fetch(const Options* o) {
  double rates[16] = {0};
  double seconds[16] = {0};
  long records[16] = {0};
  for (int r = 0; r < o->fetch_rounds; ++r) {
    if (FetchRound(o, &seconds[r], &records[r]) != 0) return -1;
    rates[r] = records[r] / seconds[r];
    printf("fetch_round %d records=%ld seconds=%.3f records_per_s=%.0f\n", r + 1, records[r],
           seconds[r], rates[r]);
  }
  double sorted[16];
  memcpy(sorted, rates, sizeof(double) * (size_t)o->fetch_rounds);
  qsort(sorted, (size_t)o->fetch_rounds, sizeof(double), CompareDoubles);
  const double median = sorted[o->fetch_rounds / 2];
  for (int r = 0; r < o->fetch_rounds; ++r) {
    if (rates[r] == median) {
      Report("fetch", o, records[r], seconds[r]);
      break;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  Options o;
  if (ParseOptions(argc, argv, &o) != 0) return Usage();
  if (Produce(&o) != 0) return 1;
  if (Fetch(&o) != 0) return 1;
  return 0;
}
