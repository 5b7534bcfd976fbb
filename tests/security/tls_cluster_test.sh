#!/usr/bin/env bash
# A whole cluster over mutual TLS, as `keelctl cluster up --tls` makes it (docs/security.md):
# keelctl with the exported KEEL_TLS_* works end to end (replication included); a plaintext
# client and a client certificate of another CA are refused; a broker certificate cannot
# register as another broker id; an expired or mismatched certificate is a clear start-up
# error; a certificate renewed on disk is served after SIGHUP while clients keep working.
# Certificates are made here with openssl (no committed keys).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

ctl=$PWD/tools/keelctl
controller=$PWD/controller/keel-controller
broker=$PWD/broker/keel-broker
work="${TEST_TMPDIR:-$(mktemp -d)}/tls"
rm -rf "$work"
mkdir -p "$work"
dir="$work/cluster"

# A base port whose controller, broker, metrics and Kafka ports (B+0..2, +100, +200, +300,
# +400) and B+190 (the impostor broker) are free on 127.0.0.1.
base=$(/usr/bin/python3 - <<'PY'
import random, socket
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(100):
    base = random.randrange(20000, 60000)
    if all(free(base + off + i) for off in (0, 100, 190, 200, 300, 400) for i in range(3)):
        print(base); break
PY
)
[ -n "$base" ] || fail "no free base port"

pids() { /usr/bin/python3 -c 'import json,sys; print(" ".join(str(n["Pid"]) for n in json.load(open(sys.argv[1]))["Nodes"]))' "$dir/cluster.json"; }
extra_pids=()
cleanup() {
  for pid in "${extra_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -f "$dir/cluster.json" ]; then
    "$ctl" cluster down --dir "$dir" --grace-ms 2000 >/dev/null 2>&1 || true
    for pid in $(pids); do kill -9 "$pid" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

up=$(timeout 120 "$ctl" cluster up --dir "$dir" --tls --base-port "$base" --controllers-count 3 \
       --brokers-count 2 --wait-ms 60000 2>&1) || { echo "$up"; fail "cluster up --tls failed"; }
echo "$up"
export_line=$(grep '^export ' <<<"$up") || fail "no export line"
for var in KEEL_CONTROLLERS KEEL_BROKERS KEEL_TLS_CA KEEL_TLS_CERT KEEL_TLS_KEY; do
  grep -q "$var=" <<<"$export_line" || fail "export line lacks $var"
done
eval "$export_line"
grep -q "\"TlsCaFile\": \"$dir/tls/ca.crt\"" "$dir/cluster.json" || fail "cluster.json lacks TlsCaFile"
tls="$dir/tls"

# keelctl over mutual TLS; an RF 2 topic replicates between the brokers over TLS too.
out=$(timeout 30 "$ctl" brokers list) || fail "brokers list over TLS: $out"
[ "$(grep -cE '^[1-2] +127\.0\.0\.1:[0-9]+ +[0-9]+ +active +SERVING$' <<<"$out")" = 2 ] ||
  fail "brokers list over TLS: $out"
timeout 30 "$ctl" topics create secure --partitions 1 --replication-factor 2 >/dev/null
out=$(printf 'one\ntwo\n' | timeout 30 "$ctl" produce secure --acks all 2>&1)
grep -qF "Acknowledged 2 of 2" <<<"$out" || fail "produce --acks all over TLS: $out"
got=$(timeout 30 "$ctl" consume secure --from-beginning --max-messages 2 2>/dev/null)
[ "$got" = $'one\ntwo' ] || fail "consume over TLS got '$got'"

# kcat (librdkafka) over the Kafka listener's SSL, with the admin certificate; the export's
# kcat line carries the options.
kcat_line=$(grep '^kcat ' <<<"$up") || fail "no kcat line"
grep -q -- "-X security.protocol=SSL" <<<"$kcat_line" || fail "kcat line lacks SSL: $kcat_line"
kafka=$(awk '{print $3}' <<<"$kcat_line")
ssl=(-X security.protocol=SSL -X "ssl.ca.location=$KEEL_TLS_CA"
     -X "ssl.certificate.location=$KEEL_TLS_CERT" -X "ssl.key.location=$KEEL_TLS_KEY")
echo "over-ssl" | timeout 30 kcat -b "$kafka" "${ssl[@]}" -P -t secure -p 0 ||
  fail "kcat produce over SSL"
got=$(timeout 30 kcat -b "$kafka" "${ssl[@]}" -C -t secure -p 0 -o beginning -c 3 -q 2>&1) ||
  fail "kcat consume over SSL: $got"
[ "$got" = $'one\ntwo\nover-ssl' ] || fail "kcat over SSL consumed '$got'"
if out=$(timeout 20 kcat -b "$kafka" -m 3 -L 2>&1); then
  fail "a plaintext kcat got metadata from the SSL listener: $out"
fi

# A plaintext client is refused.
if out=$(KEEL_TLS_CA= KEEL_TLS_CERT= KEEL_TLS_KEY= timeout 30 "$ctl" --timeout-ms 3000 \
           topics list 2>&1); then
  fail "a plaintext keelctl listed topics: $out"
fi

# A client certificate of another CA is refused (it trusts the cluster's CA itself).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/other-ca.key" \
  -out "$work/other-ca.crt" -days 2 -subj "/CN=other-ca" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/mallory.key" \
  -out "$work/mallory.csr" -subj "/CN=admin" 2>/dev/null
openssl x509 -req -in "$work/mallory.csr" -CA "$work/other-ca.crt" -CAkey "$work/other-ca.key" \
  -CAcreateserial -days 2 -extfile "$tls/leaf.ext" -out "$work/mallory.crt" 2>/dev/null
cat "$tls/ca.crt" "$work/other-ca.crt" > "$work/both-cas.crt"
if out=$(KEEL_TLS_CA="$work/both-cas.crt" KEEL_TLS_CERT="$work/mallory.crt" \
           KEEL_TLS_KEY="$work/mallory.key" timeout 30 "$ctl" --timeout-ms 3000 topics list 2>&1); then
  fail "a client certificate of another CA was accepted: $out"
fi

# broker-1's certificate cannot register as broker 3: the broker exits with the reason.
mkdir -p "$work/impostor"
set +e
out=$(timeout 30 "$broker" --broker_id=3 --listen="127.0.0.1:$((base + 190))" \
        --controllers="$KEEL_CONTROLLERS" --data_dirs="$work/impostor" \
        --ssl_certificate_location="$tls/broker-1.crt" --ssl_key_location="$tls/broker-1.key" \
        --ssl_ca_location="$tls/ca.crt" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "impostor broker exited $rc, want 1: $(tail -3 <<<"$out")"
grep -qF "User:broker-1 may not register as broker 3; only User:broker-3 may" <<<"$out" ||
  fail "impostor broker's error: $(tail -3 <<<"$out")"

# Start-up errors: an expired certificate, a key of another certificate, an unreadable file.
(cd "$work" && touch index.txt && echo 01 > serial &&
 printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' > ca.cnf &&
 openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key \
   -out expired.csr -subj "/CN=controller-9" 2>/dev/null &&
 openssl ca -batch -config ca.cnf -cert "$tls/ca.crt" -keyfile "$tls/ca.key" -in expired.csr \
   -out expired.crt -startdate 20200101000000Z -enddate 20200102000000Z >/dev/null 2>&1) ||
  fail "cannot make an expired certificate"
start_error() {  # cert key: runs a controller with them, prints its exit code and stderr
  set +e
  local err
  err=$(timeout 20 "$controller" --node_id=9 --listen=127.0.0.1:0 --voters=9@127.0.0.1:1 \
          --data_dir="$work/c9" --cluster_id=x --ssl_certificate_location="$1" \
          --ssl_key_location="$2" --ssl_ca_location="$tls/ca.crt" 2>&1)
  echo "rc=$? $err"
  set -e
}
out=$(start_error "$work/expired.crt" "$work/expired.key")
grep -q "^rc=1 keel-controller: TLS: $work/expired.crt: certificate CN=controller-9 expired" <<<"$out" ||
  fail "expired certificate: $out"
out=$(start_error "$tls/controller-1.crt" "$tls/controller-2.key")
grep -q "^rc=1 keel-controller: TLS: $tls/controller-2.key: private key does not match certificate CN=controller-1" <<<"$out" ||
  fail "mismatched key: $out"
out=$(start_error "$tls/controller-1.crt" "$work/no-such.key")
grep -q "^rc=1 keel-controller: TLS: ssl.key.location $work/no-such.key cannot be read" <<<"$out" ||
  fail "unreadable key: $out"

# Renewal: a new certificate for controller-1 on disk is served after SIGHUP, not before;
# clients and the quorum keep working throughout.
serial_served() {
  echo | timeout 10 openssl s_client -connect "127.0.0.1:$base" -cert "$tls/admin.crt" \
    -key "$tls/admin.key" -CAfile "$tls/ca.crt" 2>/dev/null | openssl x509 -noout -serial || true
}
old_serial=$(serial_served)
[ -n "$old_serial" ] || fail "cannot read controller-1's certificate"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/renewed.key" \
  -out "$work/renewed.csr" -subj "/O=Keel local cluster/CN=controller-1" 2>/dev/null
openssl x509 -req -in "$work/renewed.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 3 -extfile "$tls/leaf.ext" -out "$work/renewed.crt" 2>/dev/null
new_serial="serial=$(openssl x509 -in "$work/renewed.crt" -noout -serial | cut -d= -f2)"
cp "$work/renewed.key" "$tls/controller-1.key.new" && mv "$tls/controller-1.key.new" "$tls/controller-1.key"
cp "$work/renewed.crt" "$tls/controller-1.crt.new" && mv "$tls/controller-1.crt.new" "$tls/controller-1.crt"
sleep 2
[ "$(serial_served)" = "$old_serial" ] || fail "renewed certificate served before SIGHUP"
c1_pid=$(/usr/bin/python3 -c 'import json,sys; print([n["Pid"] for n in json.load(open(sys.argv[1]))["Nodes"] if n["Name"]=="controller-1"][0])' "$dir/cluster.json")
kill -HUP "$c1_pid"
served=""
for _ in $(seq 1 50); do
  served=$(serial_served)
  [ "$served" = "$new_serial" ] && break
  sleep 0.2
done
[ "$served" = "$new_serial" ] || fail "after SIGHUP controller-1 serves $served, want $new_serial"
grep -q "SIGHUP: TLS certificate CN=controller-1" "$dir/controller-1.log" || fail "no SIGHUP log line"
kill -0 "$c1_pid" || fail "controller-1 died on SIGHUP"
out=$(printf 'three\n' | timeout 30 "$ctl" produce secure --acks all 2>&1)
grep -qF "Acknowledged 1 of 1" <<<"$out" || fail "produce after renewal: $out"
got=$(timeout 30 "$ctl" consume secure --from-beginning --max-messages 4 2>/dev/null)
[ "$got" = $'one\ntwo\nover-ssl\nthree' ] || fail "consume after renewal got '$got'"
out=$(timeout 30 "$ctl" quorum status) || fail "quorum status after renewal: $out"
grep -q "CurrentVoters:          \[1,2,3\]" <<<"$out" || fail "quorum status after renewal: $out"

echo "PASS"
