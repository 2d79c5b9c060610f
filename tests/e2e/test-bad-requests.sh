#!/bin/bash
# Bad requests to the REST API of the plugin that the harness started. They
# are unknown routes and methods, non-canonical paths, trailing slashes, bad
# query strings, oversized and malformed requests, a flood of idle
# connections, and clients that send a byte a second. Each gets its expected
# reply, and the plugin keeps serving normal requests during the flood and
# after it. Prints the number of bad requests sent.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-bad-requests

command -v python3 >/dev/null ||
    fail "python3 not found; it opens the raw and idle connections of this test (apt-get install python3)"

PORT=${PLUGIN_URL##*:}
CLIENT="$E2E_TMP/client.py"
SENT=0

# A small client for what curl cannot send: raw request bytes, many idle
# connections, slow clients. Every socket has a timeout, and all are closed
# before it exits.
cat >"$CLIENT" <<'EOF'
import resource, socket, sys, time

PORT = int(sys.argv[2])

def exchange(data, source='127.0.0.1', timeout=10):
    """Send data and return the status code of the reply, or 'closed'."""
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(('127.0.0.1', PORT))
        sock.sendall(data)
        reply = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    except OSError as e:
        return 'error: %s' % e
    finally:
        sock.close()
    if not reply.startswith(b'HTTP/1.1 '):
        return 'closed'
    return reply.split(b' ')[1].decode()

def get(path, source):
    return exchange(b'GET ' + path + b' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', source)

def still_open(sock):
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b''
    except BlockingIOError:
        return True
    except OSError:
        return False

def flood(count):
    """Open count idle connections from 127.0.0.1 and request from 127.0.0.2 meanwhile."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 64)), hard))
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.bind(('127.0.0.1', 0))
            try:
                sock.connect(('127.0.0.1', PORT))
            except BlockingIOError:
                pass
            socks.append(sock)
        time.sleep(1)
        print('opened %d' % len(socks))
        print('open after 1 s: %d' % sum(still_open(s) for s in socks))
        print('other client: %s' % get(b'/gpu/info/json', '127.0.0.2'))
    finally:
        for sock in socks:
            sock.close()

def dribble(count):
    """Send a request a byte a second on count connections until the server closes them."""
    request = b'GET /gpu/info/json HTTP/1.1\r\nHost: localhost\r\nX-Slow: ' + b'x' * 100
    socks = [socket.create_connection(('127.0.0.1', PORT), timeout=5) for _ in range(count)]
    closed_after = {}
    start = time.monotonic()
    try:
        for i in range(30):
            for k, sock in enumerate(socks):
                if k in closed_after:
                    continue
                try:
                    sock.send(request[i:i + 1])
                except OSError:
                    closed_after[k] = time.monotonic() - start
            if i == 2:
                print('other client: %s' % get(b'/gpu/info/json', '127.0.0.2'))
            if len(closed_after) == count:
                break
            time.sleep(1)
    finally:
        for sock in socks:
            sock.close()
    print('closed %d of %d' % (len(closed_after), count))
    print('last closed after: %d s' % max(closed_after.values(), default=0))

command = sys.argv[1]
if command == 'raw':
    with open(sys.argv[3], 'rb') as f:
        print(exchange(f.read()))
elif command == 'flood':
    flood(int(sys.argv[3]))
elif command == 'dribble':
    dribble(int(sys.argv[3]))
EOF

# bad_get EXPECTED_STATUS PATH [CURL_OPTION...]: send one bad request with
# curl, sending PATH as is, and check its status. The reply's headers are
# in HEADERS and its body in BODY.
bad_get() {
    local want=$1 path=$2
    shift 2
    SENT=$(( SENT + 1 ))
    capture curl -s --path-as-is --max-time 10 -D "$E2E_TMP/headers" -o "$E2E_TMP/body" \
        -w '%{http_code}' "$@" "$PLUGIN_URL$path"
    expect_status 0
    expect_eq "HTTP status of $path" "$want" "$OUT"
    HEADERS=$(tr -d '\r' <"$E2E_TMP/headers")
    BODY=$(cat "$E2E_TMP/body")
}

# bad_raw EXPECTED NAME: send the bytes of file $E2E_TMP/NAME on a new
# connection and check the reply's status ("closed" for none).
bad_raw() {
    SENT=$(( SENT + 1 ))
    capture python3 "$CLIENT" raw "$PORT" "$E2E_TMP/$2"
    expect_status 0
    expect_eq "reply to the raw request $2" "$1" "$OUT"
}

# Checks that the plugin still runs and replies 200 to a normal request.
expect_plugin_answers() {
    is_running "$PLUGIN_PID" || fail "the plugin exited ($1)"
    capture curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$PLUGIN_URL/gpu/info/json"
    expect_eq "HTTP status of /gpu/info/json $1" 200 "$OUT"
}

# --- Routes: exact paths, GET only, Go's 404 ---------------------------------

for path in /nothing /gpu /gpu/info/ /gpu/info/json/ /docker/cli/ /v1.0 /v1.0/ \
            /v1.0/gpu/info/ /v2.0/gpu/info /GPU/INFO /gpu/info.json; do
    bad_get 404 "$path"
    expect_eq "body of $path" "404 page not found" "$BODY"
done
for method in POST HEAD PUT DELETE OPTIONS PATCH FOO; do
    if [ "$method" = HEAD ]; then
        bad_get 404 /gpu/info --head
    else
        bad_get 404 /gpu/info -X "$method"
    fi
done

# --- Non-canonical paths: Go's 301 to the cleaned path, query kept -------------

check_redirect() {
    bad_get 301 "$1"
    expect_line "headers of $1" "Location: $2" "$HEADERS"
}
check_redirect //gpu/info /gpu/info
check_redirect /gpu//info /gpu/info
check_redirect /gpu/./info /gpu/info
check_redirect /gpu/../gpu/info /gpu/info
check_redirect '/gpu/../docker/cli?dev=0' '/docker/cli?dev=0'
check_redirect /./v1.0/gpu/info/json /v1.0/gpu/info/json
check_redirect /.. /
check_redirect '//gpu/info/x%0d%0aSet-Cookie:%20a' '/gpu/info/x%0D%0ASet-Cookie:%20a'
expect_no_line "headers of the CR LF path" "Set-Cookie: a" "$HEADERS"
expect_eq "body of the //gpu/info redirect" \
    '<a href="/gpu/info/x%0D%0ASet-Cookie:%20a">Moved Permanently</a>.' "$BODY"

# --- Query strings ------------------------------------------------------------

bad_get 400 '/docker/cli?dev=0,1'
expect_eq "body of dev=0,1" "invalid device: 0,1" "$BODY"
bad_get 400 '/docker/cli?dev=0++1'
expect_eq "body of dev=0++1" "invalid device: " "$BODY"
bad_get 400 '/docker/cli?dev=99'
bad_get 400 '/docker/cli?dev=-1'
bad_get 400 '/docker/cli?dev=GPU-ffff'
bad_get 400 '/docker/cli/json?dev=%00'
bad_get 400 '/docker/cli?vol=bogus'
expect_eq "body of vol=bogus" "invalid volume: bogus" "$BODY"
bad_get 400 "/docker/cli?dev=$(printf '9%.0s' $(seq 1 2000))"
# A pair with a bad escape is skipped, as Go's url.ParseQuery does, so these
# select every GPU.
for query in 'dev=%zz' 'dev=%' 'dev=%4' '%=1&dev' 'dev=1%' '&&;;=&'; do
    bad_get 200 "/docker/cli?$query"
done
# Unknown keys are ignored, however long.
bad_get 200 "/docker/cli?x=$(head -c 6000 /dev/zero | tr '\0' a)&dev=0"

# --- Oversized and malformed requests ---------------------------------------

{
    printf 'GET /docker/cli?dev='
    head -c 100000 /dev/zero | tr '\0' 0
    printf ' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
} >"$E2E_TMP/long-uri"
bad_raw 414 long-uri
{
    printf 'GET /gpu/info HTTP/1.1\r\nHost: localhost\r\n'
    for i in $(seq 1 2000); do printf 'X-Header-%d: value\r\n' "$i"; done
    printf 'Connection: close\r\n\r\n'
} >"$E2E_TMP/many-headers"
bad_raw 431 many-headers
printf 'GET gpu/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$E2E_TMP/relative"
bad_raw 400 relative
printf 'GET http://localhost/gpu/info/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
    >"$E2E_TMP/absolute"
SENT=$(( SENT - 1 ))     # an absolute URI is a valid request target
bad_raw 200 absolute
printf 'garbage\r\n\r\n' >"$E2E_TMP/garbage"
bad_raw closed garbage
printf '\x00\x01\x02\xff\r\n\r\n' >"$E2E_TMP/binary"
bad_raw closed binary
expect_plugin_answers "after the malformed requests"

# --- Idle connections and slow clients --------------------------------------

# 1100 idle connections from 127.0.0.1: the per-address limit keeps a few of
# them open, and a client from another address still gets its reply.
capture python3 "$CLIENT" flood "$PORT" 1100
expect_status 0
SENT=$(( SENT + 1100 ))
expect_line "flood report" "opened 1100" "$OUT"
expect_line "flood report" "other client: 200" "$OUT"
open=$(printf '%s\n' "$OUT" | sed -n 's/^open after 1 s: //p')
[ "$open" -le 64 ] ||
    fail "$open idle connections from one address stayed open; expected at most 64"

# The server notices the closed connections. Wait until it has none of them left.
server_connections() {
    ss -Htn state established "( sport = :$PORT )" | wc -l
}
wait_until 10 test "$(server_connections)" -le 2 ||
    fail "the plugin still holds $(server_connections) connections 10 s after the flood closed them"
expect_plugin_answers "after the idle connections"

# Five clients that send a byte a second: each is closed within the request
# deadline, and another client gets its reply meanwhile.
capture python3 "$CLIENT" dribble "$PORT" 5
expect_status 0
SENT=$(( SENT + 5 ))
expect_line "slow client report" "other client: 200" "$OUT"
expect_line "slow client report" "closed 5 of 5" "$OUT"
expect_plugin_answers "after the slow clients"

# --- The log ------------------------------------------------------------------

# A rejected request is logged with its client; the flood's lines were
# limited and counted. The count is logged with the next rejected request.
sleep 1
bad_get 404 /after-the-flood
log=$(cat "$TMP_ROOT/plugin.log")
expect_contains "plugin log" "Rejected GET /after-the-flood from 127.0.0.1:" "$log"
expect_contains "plugin log" "Suppressed " "$log"
expect_contains "plugin log" "to the remote API: the request was not complete within" "$log"

echo "sent $SENT bad requests"
