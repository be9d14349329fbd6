#!/usr/bin/env bash
# install-deps.sh: make sure the tools and libraries flowc builds with are present.
#
# Checks for re2c, bison, tcc, pkg-config, python3, a C compiler (cc/gcc), clang (for the
# fuzzer), make, and the headers of libtcc, xxHash and Criterion; the headers of zlib, ISA-L and
# zstd (compressed inputs: jobs load the libraries with dlopen) and the gzip and zstd tools
# (the tests compress with them); and, for the tests of jobs
# run as several processes and on several hosts, mpirun (Open MPI), pgrep, ip, ssh and sshd; for
# seeing jobs run, libmicrohttpd, Graphviz, curl and Chromium. When everything is there it
# exits 0 and prints nothing (make calls it before every build). When something is missing it
# installs just the missing Debian packages if run as root, or prints the apt-get line to run
# and exits 1 otherwise.
#
# FLOWC_DEPS_DRY_RUN=1 prints what it would run instead of running it (for testing).
set -euo pipefail

missing=()
need() { missing+=("$1"); }            # need PACKAGE: add a Debian package to install
have() { command -v "$1" >/dev/null 2>&1; }

have re2c       || need re2c
have bison      || need bison
have tcc        || need tcc
have pkg-config || need pkg-config
have python3    || need python3
{ have cc || have gcc; } || need gcc
have clang      || need clang
have make       || need make
# for the tests of jobs run as several processes and hosts
have mpirun     || need openmpi-bin
have pgrep      || need procps
have ip         || need iproute2
have ssh        || need openssh-client
[[ -x /usr/sbin/sshd ]] || need openssh-server
[[ -f /usr/include/stdio.h ]]   || need libc6-dev   # gcc only recommends it
[[ -f /usr/include/libtcc.h ]]  || need libtcc-dev
[[ -f /usr/include/xxhash.h ]]  || need libxxhash-dev
{ have pkg-config && pkg-config --exists criterion; } || need libcriterion-dev
# compressed inputs: gzip through ISA-L or zlib, zstd (headers for the runtime's build; the tools
# make the tests' files)
[[ -f /usr/include/zlib.h ]]    || need zlib1g-dev
[[ -f /usr/include/isa-l/igzip_lib.h ]] || need libisal-dev
[[ -f /usr/include/zstd.h ]]    || need libzstd-dev
ldconfig -p | grep -q liblz4.so.1 || need liblz4-1   # read_arrow's LZ4 buffers (dlopen)
have gzip       || need gzip
have zstd       || need zstd
# seeing a job run: the monitor's HTTP server (loaded by jobs with dlopen), plan --svg, and the
# monitor's tests (curl, a headless browser)
[[ -f /usr/include/microhttpd.h ]] || need libmicrohttpd-dev
[[ -f /usr/include/jansson.h ]] || need libjansson-dev   # read_jsonl (jobs load it with dlopen)
have dot        || need graphviz
have curl       || need curl
have chromium   || need chromium
# the Arrow tests read and write with the apache-arrow package (npm) and node
have node       || need nodejs
have npm        || need npm

(( ${#missing[@]} == 0 )) && exit 0

run() { if [[ -n "${FLOWC_DEPS_DRY_RUN:-}" ]]; then echo "would run: $*"; else "$@"; fi; }
install=(apt-get install -y --no-install-recommends "${missing[@]}")

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-deps: missing packages; run:" >&2
    echo "    sudo ${install[*]}" >&2
    exit 1
fi
if ! have apt-get; then
    echo "install-deps: missing packages (${missing[*]}) and no apt-get to install them" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run "${install[@]}"
