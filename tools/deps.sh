#!/bin/sh
# make deps: install the Debian packages hvlab needs, or say exactly how to.
#
# A POSIX shell script, not Python: on a fresh machine python3 is one of the packages
# it installs. It needs nothing but the shell's builtins, id, dpkg-query and apt-get.
# As root, missing packages are installed (apt-get update first, no prompts, no
# recommended extras). Otherwise it prints the one command to run as root and exits 1,
# so `make demo` and `make test` stop with that command on screen. It also says
# whether hardware performance counters can be read here (optional: many virtual
# machines and CI hosts have none, and reports then use icount path lengths).
#
# Environment: PYTHON (default python3), the interpreter the Makefile will use, checked
# for the version the harness needs.
#
# Package lists are words, split on purpose wherever they are used unquoted.
# shellcheck disable=SC2046,SC2086

# The single list: one package a line, then why hvlab needs it. Keep only what
# something in the tree runs or links; add a line for a new tool.
PACKAGES='
gcc              compiler for the hypervisor, guests, tools and host tests (pulls in the ASan/UBSan runtimes)
libc6-dev        C library and kernel headers (linux/perf_event.h for the sched-bench host counters) for host-compiled tests and benchmarks (only recommended by gcc)
binutils         ld, objcopy, nm, ar: the two-pass symbol table link and the guest runtime
make             the build
git              the commit recorded in every experiment meta.json
python3          the harness (./hvlab), boot tests and the symbol table generator: 3.11 or newer
qemu-system-x86  the machine hvlab runs on (qemu-system-x86_64, TCG)
gnuplot-nox      plots in experiment reports
hwloc            host topology in experiment meta.json (hwloc-ls); topology pictures in reports (lstopo)
clang            libFuzzer targets for the parsers (tests/fuzz/, -fsanitize=fuzzer; make test runs them briefly)
libclang-rt-14-dev  libFuzzer and sanitizer runtimes for clang (only recommended by clang)
slurm-wlm        slurmctld, slurmd and sbatch: hvlab sweep --slurm, tested on a one-node cluster (tests/slurm/)
munge            munged, the authentication the Slurm daemons and clients need (same test cluster)
'
PYTHON_NEEDED_MAJOR=3
PYTHON_NEEDED_MINOR=11

names() {
    printf '%s\n' "$PACKAGES" | while read -r pkg _why; do
        [ -n "$pkg" ] && printf '%s ' "$pkg"
    done
}

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

words() {
    echo $#
}

missing() {
    for p in $(names); do
        installed "$p" || printf '%s ' "$p"
    done
}

counters_note() {
    if ! command -v perf >/dev/null 2>&1; then
        echo "no 'perf' here to probe hardware performance counters"
        return
    fi
    out=$(perf stat -x, -e instructions true 2>&1)
    case "$?:$out" in
        0:*"not supported"* | 0:*"<not"* | [!0]*)
            echo "hardware performance counters are NOT available on this host" \
                 "(perf stat: not supported); reports use icount path lengths" ;;
        *) echo "hardware performance counters are available" ;;
    esac
}

# The harness refuses an older Python with one line; say it here too, before a build,
# with the way out (a python3 on the PATH that is a pyenv shim or an old release).
python_ok() {
    py=${PYTHON:-python3}
    if ! "$py" -c "import sys; sys.exit(sys.version_info < ($PYTHON_NEEDED_MAJOR, $PYTHON_NEEDED_MINOR))" \
        >/dev/null 2>&1; then
        v=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
        echo "deps: hvlab needs Python $PYTHON_NEEDED_MAJOR.$PYTHON_NEEDED_MINOR or newer;" \
             "'$py' is ${v:-not runnable}: run make with PYTHON=/path/to/python3.11 or newer"
        return 1
    fi
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian/Ubuntu system: install by hand: $(names)"
    command -v qemu-system-x86_64 >/dev/null 2>&1 && python_ok
    exit $?
fi

need=$(missing)
if [ -z "$need" ]; then
    python_ok || exit 1
    echo "deps: all $(words $(names)) packages present; $(counters_note)"
    exit 0
fi

install="apt-get install -y --no-install-recommends ${need% }"
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages: ${need% }"
    echo "deps: as root: apt-get update && $install"
    exit 1
fi

echo "deps: installing: ${need% }"
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
if ! apt-get update -q >/dev/null; then
    echo "deps: 'apt-get update -q' failed"
    exit 1
fi
if ! apt-get install -q -y --no-install-recommends $need >/dev/null; then
    echo "deps: '$install' failed"
    exit 1
fi
still=$(missing)
if [ -n "$still" ]; then
    echo "deps: still missing after install: ${still% }"
    exit 1
fi
python_ok || exit 1
echo "deps: installed $(words $need) packages; $(counters_note)"
