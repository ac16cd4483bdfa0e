# Shared by the scripts: where things are cached and which Kafka we run.
NEWSD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$NEWSD_ROOT/scripts/kafka/pom.xml")"
NEWSD_CACHE="${NEWSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/newsd}"
KAFKA_LIBS="$NEWSD_CACHE/kafka-$KAFKA_VERSION/libs"
# Debian's interpreter, not a pyenv/virtualenv one: the tests use Debian's python3 packages.
PYTHON=/usr/bin/python3

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
