#!/usr/bin/env bash
# Installs (if missing) and starts the production engines the contract suites run against:
# PostgreSQL and RabbitMQ from Debian, Elasticsearch's integ-test distribution from Maven
# Central on a JDK it supports. Azurite needs nothing here: the tests start it from npm.
# Prints `export VAR=…` lines for the test suites; use it as `eval "$(scripts/engines.sh)"`.
# Idempotent: engines already running are left as they are. Needs root (apt-get, su).
set -euo pipefail

ES_VERSION=8.19.21
ES_HOME=/opt/faultline/elasticsearch-$ES_VERSION
ES_DATA=/var/tmp/faultline-es
ES_PORT=${FAULTLINE_ES_PORT:-9200}
log() { echo "engines: $*" >&2; }

need_apt=()
command -v pg_ctlcluster >/dev/null || need_apt+=(postgresql)
command -v rabbitmq-server >/dev/null || need_apt+=(rabbitmq-server)
command -v mvn >/dev/null || need_apt+=(maven)
[ -d /usr/lib/jvm/java-17-openjdk-amd64 ] || need_apt+=(openjdk-17-jdk-headless)
command -v unzip >/dev/null || need_apt+=(unzip)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

# PostgreSQL: the distribution's cluster, a superuser role and database for the tests.
pg_version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
pg_ctlcluster "$pg_version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='faultline'\"" | grep -q 1 ||
  su postgres -c "psql -q -c \"CREATE ROLE faultline LOGIN SUPERUSER PASSWORD 'faultline'\"" >&2
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='faultline'\"" | grep -q 1 ||
  su postgres -c "createdb -O faultline faultline" >&2
log "postgresql $pg_version ready"

# RabbitMQ: the broker as a daemon; guest may connect from loopback.
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-server -detached >&2 2>/dev/null || true
  for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
fi
rabbitmqctl -q status >/dev/null 2>&1 || { log "rabbitmq did not start"; exit 1; }
log "rabbitmq ready"

# Elasticsearch refuses to run as root: an unprivileged user owns its folder and data.
id faultline >/dev/null 2>&1 || useradd -r -m -s /bin/bash faultline
if ! curl -sf "http://127.0.0.1:$ES_PORT/_cluster/health" >/dev/null; then
  if [ ! -x "$ES_HOME/bin/elasticsearch" ]; then
    log "fetching Elasticsearch $ES_VERSION (integ-test-zip) from Maven Central"
    mvn -q dependency:get -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" -Dtransitive=false >&2
    mkdir -p /opt/faultline
    unzip -q -o ~/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip -d /opt/faultline
    chown -R faultline "$ES_HOME"
  fi
  mkdir -p "$ES_DATA" && chown faultline "$ES_DATA"
  su faultline -c "ES_JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 ES_JAVA_OPTS='-Xms512m -Xmx512m' \
    nohup $ES_HOME/bin/elasticsearch -E discovery.type=single-node -E xpack.security.enabled=false \
    -E network.host=127.0.0.1 -E http.port=$ES_PORT -E path.data=$ES_DATA -E path.logs=$ES_DATA \
    -E cluster.routing.allocation.disk.threshold_enabled=false > $ES_DATA/stdout.log 2>&1 &"
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null && break; sleep 1; done
fi
curl -sf "http://127.0.0.1:$ES_PORT/_cluster/health" >/dev/null || { log "elasticsearch did not start; see $ES_DATA/stdout.log"; exit 1; }
log "elasticsearch $ES_VERSION ready"

echo "export FAULTLINE_TEST_POSTGRES_URL=postgres://faultline:faultline@127.0.0.1:5432/faultline"
echo "export FAULTLINE_TEST_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672"
echo "export FAULTLINE_TEST_ELASTICSEARCH_URL=http://127.0.0.1:$ES_PORT"
