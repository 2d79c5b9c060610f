# shellcheck shell=bash
# Checks for the tests/e2e/test-*.sh scripts. Each failed check prints what
# was expected and what came out, then exits 1, so a test script's exit
# status is its result. The scripts need the variables that tests/e2e/run
# exports (E2E_TMP, DOCKER, NVIDIA_DOCKER, IMAGE, ...).
set -eu

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# capture COMMAND...: run COMMAND and store its stdout in OUT, its stderr in
# ERR, its exit status in STATUS and the command line in COMMAND_LINE.
# Never fails by itself.
capture() {
    local out_file="$E2E_TMP/stdout" err_file="$E2E_TMP/stderr"
    COMMAND_LINE="$*"
    echo "\$ $COMMAND_LINE"
    STATUS=0
    "$@" >"$out_file" 2>"$err_file" </dev/null || STATUS=$?
    OUT=$(cat "$out_file")
    ERR=$(cat "$err_file")
}

# Prints the last captured command with its status and output.
show_capture() {
    printf 'command: %s\nexit status: %s\n' "$COMMAND_LINE" "$STATUS" >&2
    printf -- '--- stdout ---\n%s\n--- stderr ---\n%s\n---\n' "$OUT" "$ERR" >&2
}

# expect_status EXPECTED: the last captured command exited with status EXPECTED.
expect_status() {
    if [ "$STATUS" -ne "$1" ]; then
        show_capture
        fail "expected exit status $1, got $STATUS"
    fi
}

# expect_failure: the last captured command exited with a non-zero status.
expect_failure() {
    if [ "$STATUS" -eq 0 ]; then
        show_capture
        fail "expected a non-zero exit status, got 0"
    fi
}

# run_ok COMMAND...: capture COMMAND and require exit status 0.
run_ok() {
    capture "$@"
    expect_status 0
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    if [ "$2" != "$3" ]; then
        printf -- '--- expected %s ---\n%s\n--- got ---\n%s\n---\n' "$1" "$2" "$3" >&2
        fail "$1 differs from the expected value"
    fi
}

# expect_contains WHAT NEEDLE HAYSTACK: HAYSTACK contains the string NEEDLE.
expect_contains() {
    case "$3" in
        *"$2"*) ;;
        *)
            printf -- '--- %s ---\n%s\n---\n' "$1" "$3" >&2
            fail "$1 does not contain '$2'"
            ;;
    esac
}

# expect_not_contains WHAT NEEDLE HAYSTACK
expect_not_contains() {
    case "$3" in
        *"$2"*)
            printf -- '--- %s ---\n%s\n---\n' "$1" "$3" >&2
            fail "$1 contains '$2', which it must not"
            ;;
    esac
}

# expect_line WHAT LINE TEXT: one line of TEXT equals LINE.
expect_line() {
    if ! printf '%s\n' "$3" | grep -qxF -- "$2"; then
        printf -- '--- %s ---\n%s\n---\n' "$1" "$3" >&2
        fail "$1 has no line '$2'"
    fi
}

# expect_no_line WHAT LINE TEXT: no line of TEXT equals LINE.
expect_no_line() {
    if printf '%s\n' "$3" | grep -qxF -- "$2"; then
        printf -- '--- %s ---\n%s\n---\n' "$1" "$3" >&2
        fail "$1 has the line '$2', which it must not"
    fi
}

# Counts the engine's containers, running or not.
count_containers() {
    "$DOCKER" ps -aq | wc -l
}
