# node-lib.sh: what every cirr-node-* script shares (POSIX sh, sourced).
# Paths are prefixed with CIRR_ROOT (empty on a node) so that the scripts
# can be run in a scratch folder by the tests (doc/cloud-init.md).

R=${CIRR_ROOT:-}
NODE_ENV=${CIRR_NODE_ENV:-/etc/cirr/node.env}

say() { printf '%s: %s\n' "$PROG" "$*"; }
# die MESSAGE [EXIT]: one line on stderr; exit 100 (bad settings) unless told.
die() { printf '%s: error: %s\n' "$PROG" "$1" >&2; exit "${2:-100}"; }

# The node's settings, written by the user-data (doc/cloud-init.md): lines
# KEY=value (the value may be in single or double quotes, and is taken as
# it is: nothing in it is expanded or run), comments and blank lines.
load_node_env() {
    [ -r "$R$NODE_ENV" ] || die "$NODE_ENV: missing (the user-data writes it)"
    _n=0
    while IFS= read -r _line || [ -n "$_line" ]; do
        _n=$((_n + 1))
        case $_line in ''|'#'*) continue ;; esac
        _key=${_line%%=*}
        case $_key in
            "$_line"|''|[0-9]*|*[!A-Z0-9_]*) die "$NODE_ENV line $_n: not KEY=value" ;;
        esac
        _val=${_line#*=}
        case $_val in
            \'*\') _val=${_val#\'}; _val=${_val%\'} ;;
            \"*\") _val=${_val#\"}; _val=${_val%\"} ;;
        esac
        eval "$_key=\$_val"
    done < "$R$NODE_ENV"
}

# need NAME: stop when the variable is empty.
need() {
    eval "_v=\${$1:-}"
    [ -n "$_v" ] || die "$1 is not set in $NODE_ENV"
}

# check NAME PATTERN WHAT: a value that must match a case pattern.
check() {
    eval "_v=\${$1:-}"
    # shellcheck disable=SC2254
    case $_v in
        $2) ;;
        *) die "$1='$_v': not $3" ;;
    esac
}

# An address or host name docker swarm accepts, optionally with :port.
check_addr() {
    eval "_v=\${$1:-}"
    case $_v in
        ''|*[!A-Za-z0-9.:_-]*) die "$1='$_v': not an address, host name or interface (letters, digits, . : _ -)" ;;
    esac
}

check_yes_no() {
    eval "_v=\${$1:-}"
    case $_v in
        yes|no) ;;
        *) die "$1='$_v': not yes or no" ;;
    esac
}

# Copies stdin to stdout with every occurrence of $1 replaced by
# [redacted]: output of a command that was given a secret.
redact() {
    SECRET=$1 awk 'BEGIN { s = ENVIRON["SECRET"] }
        { while (s != "" && (i = index($0, s)) > 0) $0 = substr($0, 1, i - 1) "[redacted]" substr($0, i + length(s)); print }'
}

# Waits up to $1 seconds for the Docker engine to answer.
wait_for_docker() {
    _n=0
    until docker info >/dev/null 2>&1; do
        _n=$((_n + 1))
        [ "$_n" -le "$1" ] || die "the Docker engine did not answer within $1 s (see: systemctl status docker)" 111
        sleep 1
    done
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}'; }
