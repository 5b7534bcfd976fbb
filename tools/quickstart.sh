#!/usr/bin/env bash
# The README's first command: installs deps, builds, starts a local cluster (3 keel-controller
# and 3 keel-broker processes on loopback) with `keelctl cluster up`, creates a topic with
# replication factor 3, produces and consumes a few records, and prints the quorum and topic;
# then kcat (a Kafka client) and curl (the REST proxy) write to and read the same topic.
#
#   tools/quickstart.sh          start (or reuse / restart) the cluster and run the demo
#   tools/quickstart.sh stop     stop every process it started (by pid: keelctl cluster down)
#   tools/quickstart.sh clean    stop and delete the data
#
# Env: KEEL_QUICKSTART_DIR (default .keel/quickstart), KEEL_BASE_PORT (default 19091:
# controllers on 19091-19093, brokers on 19191-19193, their Kafka listeners on 19491-19493 and
# REST proxies on 19591-19593),
# KEELCTL (default bazel-bin/tools/keelctl;
# keelctl finds keel-controller and keel-broker next to it), KEEL_QUICKSTART_SKIP_BUILD=1 to
# skip installing and building, KEEL_QUICKSTART_TLS=1 for a cluster secured with mutual TLS
# (`cluster up --tls`, docs/security.md; keelctl and kcat use the certificates it makes).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${KEEL_QUICKSTART_DIR:-.keel/quickstart}
BASE_PORT=${KEEL_BASE_PORT:-19091}
KEELCTL=${KEELCTL:-bazel-bin/tools/keelctl}
TOPIC=demo
TLS_FLAGS=()
if [ "${KEEL_QUICKSTART_TLS:-0}" = 1 ]; then TLS_FLAGS=(--tls); fi

case "${1:-up}" in
  stop | clean)
    if [ -x "$KEELCTL" ] && [ -f "$DIR/cluster.json" ]; then "$KEELCTL" cluster down --dir "$DIR"; fi
    if [ "$1" = clean ]; then rm -rf "$DIR" && echo "removed $DIR"; fi
    exit 0 ;;
  up) ;;
  *) echo "usage: tools/quickstart.sh [up|stop|clean]" >&2; exit 2 ;;
esac

if [ "${KEEL_QUICKSTART_SKIP_BUILD:-0}" != 1 ]; then
  tools/install-deps.sh
  bazel build //controller:keel-controller //broker:keel-broker //tools:keelctl
fi

echo "== keelctl cluster up --dir $DIR (3 controllers, 3 brokers)"
# A second run finds DIR/cluster.json: same cluster id, running nodes kept, stopped ones started.
if ! out=$("$KEELCTL" cluster up --dir "$DIR" --controllers-count 3 --brokers-count 3 \
             --base-port "$BASE_PORT" "${TLS_FLAGS[@]}" 2>&1); then
  echo "$out"
  echo "quickstart: cluster up failed; logs are in $DIR (stop with: tools/quickstart.sh stop)" >&2
  exit 1
fi
echo "$out"
eval "$(grep '^export KEEL_CONTROLLERS=' <<<"$out")"

echo
echo "== keelctl quorum status"
"$KEELCTL" quorum status

echo
echo "== keelctl brokers list"
"$KEELCTL" brokers list
echo
if "$KEELCTL" topics describe "$TOPIC" >/dev/null 2>&1; then
  echo "== topic $TOPIC exists already (an earlier run)"
else
  echo "== keelctl topics create $TOPIC --partitions 3 --replication-factor 3"
  "$KEELCTL" topics create "$TOPIC" --partitions 3 --replication-factor 3
fi
echo
echo "== keelctl topics describe $TOPIC"
"$KEELCTL" topics describe "$TOPIC"
echo
echo "== keelctl produce $TOPIC --key-separator : --acks all"
printf 'user-1:signed up\nuser-2:signed up\nuser-1:bought a keel\n' |
  "$KEELCTL" produce "$TOPIC" --key-separator : --acks all
echo
echo "== keelctl consume $TOPIC --from-beginning --print-offset --print-key"
"$KEELCTL" consume "$TOPIC" --from-beginning --print-offset --print-key


# The same log through the Kafka protocol, with an unmodified Kafka client (kcat, librdkafka).
KAFKA=$(sed -n 's/^kcat -b \([^ ]*\) .*-L$/\1/p' <<<"$out")
# A --tls cluster's Kafka listeners speak SSL: kcat gets the files the export line named.
kcat() {
  if [ -n "${KEEL_TLS_CA:-}" ]; then
    command kcat -X security.protocol=SSL -X "ssl.ca.location=$KEEL_TLS_CA" \
      -X "ssl.certificate.location=$KEEL_TLS_CERT" -X "ssl.key.location=$KEEL_TLS_KEY" "$@"
  else
    command kcat "$@"
  fi
}
echo
echo "== kcat -b $KAFKA -L -t $TOPIC"
kcat -b "$KAFKA" -L -t "$TOPIC"
echo
echo "== kcat -P -b $KAFKA -t $TOPIC -K : -H source=kcat   (a Kafka client writes to the same log)"
printf 'user-3:signed up\nuser-3:bought two keels\n' |
  kcat -P -b "$KAFKA" -t "$TOPIC" -K : -H source=kcat -X acks=all

# The same log over HTTP/JSON: every broker serves Confluent's REST Proxy API (docs/rest.md).
REST=$(/usr/bin/python3 -c 'import json,sys
print([n["RestAddress"] for n in json.load(open(sys.argv[1]))["Nodes"] if n.get("RestAddress")][0])' \
  "$DIR/cluster.json")
echo
echo "== curl -X POST http://$REST/topics/$TOPIC   (the REST proxy; binary as base64 in JSON)"
curl -sS -X POST -H 'Content-Type: application/vnd.kafka.binary.v2+json' \
  --data "{\"records\":[{\"key\":\"$(printf user-4 | base64)\",\"value\":\"$(printf 'signed up over REST' | base64)\"}]}" \
  "http://$REST/topics/$TOPIC"
echo
echo
echo "== kcat -C -b $KAFKA -t $TOPIC -o beginning -e   (and reads keelctl's and REST's records back)"
kcat -C -b "$KAFKA" -t "$TOPIC" -o beginning -e -q \
  -f 'Partition:%p\tOffset:%o\t%k\t%s\theaders:%h\n' | sort -t: -k2,2n -k3,3n
echo "kcat consumed $(kcat -C -b "$KAFKA" -t "$TOPIC" -o beginning -e -q -f '%o\n' | wc -l) records"

echo
echo "The cluster keeps running (data and logs in $DIR). Try:"
grep '^export ' <<<"$out" | sed 's/^/  /'
echo "  $KEELCTL cluster status --dir $DIR"
echo "  $KEELCTL metadata log"
echo "  $(sed -n 's/^\(kcat .*\) -L$/\1/p' <<<"$out") -C -t $TOPIC -o beginning -e"
echo "  curl http://$REST/topics/$TOPIC/partitions"
echo "Stop it with: tools/quickstart.sh stop   (or 'clean' to delete its data)"
