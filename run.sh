#!/usr/bin/env bash
# One entry point for a fresh machine:
#   bash run.sh demo   set up (system libraries if root, a virtualenv, the app) and continue a
#                      sample seed with the shipped model -> bach_chorale-continued.mid
#   bash run.sh test   set up everything the tests need (TensorFlow, pytest, JACK) and run them
#   bash run.sh setup  only set up the app (no TensorFlow)
# Safe to run again: what is already installed is not installed twice.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${COMPOSER_VENV:-.venv}
APP_DEBS="python3-venv libasound2 libportaudio2 libgl1 libegl1 libxkbcommon0 libglib2.0-0 \
libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
libxcb-keysyms1 libxcb-shape0"
TEST_DEBS="jackd2"

say() { printf '\033[1m[run.sh]\033[0m %s\n' "$*" >&2; }

system_packages() {
    # Debian/Ubuntu only; elsewhere (macOS) the wheels bring what they need.
    command -v apt-get >/dev/null 2>&1 || return 0
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
            say "missing system packages: ${missing[*]}"
            say "install them with: sudo apt-get install -y ${missing[*]} (continuing without)"
            return 0
        fi
    fi
    say "installing system packages: ${missing[*]}"
    # A package missing from this distribution (names differ between releases) must not stop
    # the rest: the app says plainly at run time what it lacks (no sound, no MIDI ports).
    $sudo apt-get update -qq || say "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null && return 0
    for pkg in "${missing[@]}"; do  # one by one, so one unknown name does not block the rest
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            "$pkg" >/dev/null 2>&1 || say "could not install $pkg"
    done
}

python_bin() {
    for candidate in python3 python3.12 python3.11 python3.13 python3.10; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    say "Python 3.10 or newer is needed"; exit 1
}

venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$(python_bin)" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
}

install() {  # install [extras]
    local spec="."
    [ -n "${1:-}" ] && spec=".[$1]"
    say "installing composer $spec (first time: a few minutes)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$spec"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps tinysoundfont \
        || say "tinysoundfont unavailable: the simple built-in synth will be used"
}

case "${1:-demo}" in
    setup)
        system_packages $APP_DEBS
        venv; install ""
        say "ready: $VENV/bin/composer --help, $VENV/bin/composer-gui"
        ;;
    demo)
        system_packages $APP_DEBS
        venv; install ""
        "$VENV/bin/composer" generate --seed midi_samples/bach_chorale.mid \
            -o bach_chorale-continued.mid --bars 8 --random-seed 1
        say "listen: $VENV/bin/composer play bach_chorale-continued.mid;" \
            "or open it: $VENV/bin/composer-gui bach_chorale-continued.mid"
        ;;
    test)
        system_packages $APP_DEBS $TEST_DEBS
        venv; install "dev,train"
        export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=3
        "$VENV/bin/ruff" check composer gui tests benchmarks
        "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${@:2}"
        ;;
    *)
        echo "usage: bash run.sh [demo|test|setup]" >&2; exit 2
        ;;
esac
