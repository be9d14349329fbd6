#!/usr/bin/env bash
# tests/install.sh - make install into a scratch DESTDIR (PREFIX /usr/local), then from there
# only: flowc builds and runs the word count (native and JIT), compared with python3's counts;
# pkg-config finds the runtime and a C program compiles and links against it; the man page,
# the Vim and TextMate files and the docs are in place; make uninstall removes every file.
# Run by `make install-test` (part of make test) from the repository root.
set -u
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh
test_tmp install

root=$tmp/root
P=$root/usr/local
if ! make -s install DESTDIR="$root" PREFIX=/usr/local >"$tmp/log" 2>&1; then
    bad "make install" "$(cat "$tmp/log")"
    test_summary install
    exit 1
fi
for f in bin/flowc lib/flowc/libflowrt.a include/flowc/flowrt.h include/flowc/flowgen.h include/flowc/arrow_abi.h lib/pkgconfig/flowc.pc \
    share/man/man1/flowc.1 share/vim/vimfiles/syntax/flow.vim share/vim/vimfiles/ftdetect/flow.vim \
    share/flowc/editors/flow.tmLanguage.json share/flowc/stdlib/nexmark.flow share/doc/flowc/language.md; do
    if [ -f "$P/$f" ]; then ok; else bad "make install puts $f in place"; fi
done

# the installed flowc, away from the source tree (a copy of the example and its input)
mkdir -p "$tmp/work"
cp examples/wordcount.flow examples/data/sample.txt "$tmp/work/"
cd "$tmp/work" || exit 2
python3 - sample.txt >want.csv <<'PY'
import re, sys, collections
c = collections.Counter(w for l in open(sys.argv[1], encoding="utf-8") for w in re.findall(r"[a-z0-9]+", l.lower()))
for w, n in c.items():
    print(f"{w},{n}")
PY
norm() { grep -v '^key,value$' "$1" | sort; }
if "$P/bin/flowc" build wordcount.flow -o wc >"$tmp/log" 2>&1 && ./wc --input sample.txt --output got.csv --threads 2 &&
    [ "$(norm got.csv)" = "$(sort want.csv)" ]; then ok
else bad "the installed flowc builds and runs the word count" "$(cat "$tmp/log")"; fi
if "$P/bin/flowc" run wordcount.flow --input sample.txt --output jit.csv --threads 2 >"$tmp/log" 2>&1 &&
    [ "$(norm jit.csv)" = "$(sort want.csv)" ]; then ok
else bad "the installed flowc runs the word count (JIT)" "$(cat "$tmp/log")"; fi
if printf 'use nexmark\nrange(0, 3).map(|i| i * 2).print()\n' >stdlib.flow &&
    "$P/bin/flowc" check stdlib.flow >"$tmp/log" 2>&1; then ok
else bad "the installed flowc finds its stdlib" "$(cat "$tmp/log")"; fi

# pkg-config: the runtime's flags, and a C program that links it (its headers, flowrt.h and
# arrow_abi.h, parse with gcc)
export PKG_CONFIG_PATH=$P/lib/pkgconfig
sed -i "s|^prefix=.*|prefix=$P|" "$P/lib/pkgconfig/flowc.pc"   # (DESTDIR: the files are not at PREFIX)
cat >hash.c <<'C'
#include <stdio.h>
#include "flowrt.h"
#include "arrow_abi.h"
int main(void) { printf("%d\n", fl_hash_bytes("abc", 3) == fl_hash_bytes("abc", 3) && fl_hash_bytes("abc", 3) != fl_hash_bytes("abd", 3)); return 0; }
C
san=   # (make test SAN=1 installs a sanitized runtime: a program linking it needs the sanitizers too)
if nm "$P/lib/flowc/libflowrt.a" 2>/dev/null | grep -q __asan_; then san="-fsanitize=address,undefined"; fi
if command -v pkg-config >/dev/null && gcc -std=c99 $san hash.c $(pkg-config --cflags --libs flowc) -o hash 2>"$tmp/log" &&
    [ "$(./hash)" = 1 ]; then ok
else bad "pkg-config --cflags --libs flowc builds a program against the runtime" "$(cat "$tmp/log")"; fi

# the man page renders; the TextMate grammar is JSON
if command -v man >/dev/null; then
    if MANWIDTH=80 man -l "$P/share/man/man1/flowc.1" 2>&1 | grep -q "compile and run dataflow programs"; then ok
    else bad "man -l flowc.1 renders"; fi
fi
if python3 -m json.tool "$P/share/flowc/editors/flow.tmLanguage.json" >/dev/null; then ok
else bad "flow.tmLanguage.json is JSON"; fi

# uninstall: nothing of flowc's is left
cd - >/dev/null || exit 2
if make -s uninstall DESTDIR="$root" PREFIX=/usr/local >"$tmp/log" 2>&1 && [ -z "$(find "$root" -type f)" ]; then ok
else bad "make uninstall removes every file" "$(cat "$tmp/log"; find "$root" -type f)"; fi

test_summary install
