/* ops.c - the table of builtins and the parser of its signature notation.
 *
 * Notation: `RECV.name(p: T, q: T = default) -> R`, where RECV is the
 * receiver for operators used in method form. Types: i64 f64 bool str unit
 * sink txn any, vec<T> opt<T> type<T> (a type argument), sym(a|b) (a
 * symbolic argument), (A, B) tuples, (A, B) -> C lambdas, Window<V>, Date,
 * stream<T> keyed<K, T> windowed<T> kwindowed<K, T>, elems<T> (a plain
 * stream of T or a keyed stream whose elements T are (key, value) pairs),
 * and window specs winspec<T> (any kind) or count_win, tumbling_win,
 * sliding_win, session_win, txn_win. One uppercase letter is a generic
 * parameter: N is a number, O ordered, K a key type, others anything. */
#include "ops.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KT OPF_KEEP_TIME

static const OpDef ops_table[] = {
    /* ---- sources ---- */
    {"source", "range(lo: i64, hi: i64) -> stream<i64>", 0, HK_NONE, "the integers lo, lo+1, ..., hi-1, split across tasks"},
    {"source", "read_lines(path: str) -> stream<str>", 0, HK_NONE, "the lines of a text file (without the line end), split across tasks by byte range; of a gzip or zstd file, a folder or a glob pattern, whole files per task"},
    {"source", "read_csv(path: str, row: type<T>, header: bool = true, sep: str = \",\", skip_bad: bool = false) -> stream<T>", 0, HK_READ_CSV, "the rows of a CSV file (RFC 4180 quoting) as records or tuples of scalars; a malformed row is an error unless skip_bad; gzip, zstd, folders and glob patterns as for read_lines"},
    {"source", "read_arrow(path: str, row: type<T>) -> stream<T>", 0, HK_READ_ARROW, "the rows of an Apache Arrow IPC file (or stream), record batches split across tasks, the schema checked against T"},
    {"source", "read_jsonl(path: str, row: type<T>) -> stream<T>", 0, HK_READ_JSONL, "the lines of a JSON Lines file decoded into T (records from objects by field name, tuples and vectors from arrays, opt from null or missing)"},
    {"source", "generate(n: i64, f: (i64) -> T) -> stream<T>", 0, HK_NONE, "f(0), ..., f(n-1), generated in parallel"},
    {"source", "from(v: vec<T>) -> stream<T>", 0, HK_NONE, "the elements of a vector"},
    {"source", "stdin_lines() -> stream<str>", 0, HK_NONE, "the lines of standard input"},
    {"source", "host_rows(row: type<T>) -> stream<T>", 0, HK_NONE, "rows a host program pushes through the C API (flowc build --lib)"},
    {"source", "tcp_lines(addr: str) -> stream<str>", 0, HK_NONE, "the lines read from a TCP connection to host:port"},

    /* ---- element-wise, plain streams ---- */
    {"stream", "stream<T>.map(f: (T) -> U) -> stream<U>", KT, HK_NONE, "f(x) for each x"},
    {"stream", "stream<T>.filter(f: (T) -> bool) -> stream<T>", KT, HK_NONE, "the x for which f(x) is true"},
    {"stream", "stream<T>.flat_map(f: (T) -> vec<U>) -> stream<U>", KT, HK_NONE, "the elements of f(x) for each x"},
    {"stream", "stream<T>.filter_map(f: (T) -> opt<U>) -> stream<U>", KT, HK_NONE, "the values of f(x) that are some"},
    {"stream", "stream<T>.inspect(f: (T) -> any) -> stream<T>", KT, HK_NONE, "calls f(x) on each x and passes x on"},
    {"stream", "stream<T>.scan(init: S, f: (S, T) -> (S, U)) -> stream<U>", KT, HK_NONE, "a stateful map: (state, x) -> (new state, output)"},
    {"stream", "stream<T>.limit(n: i64) -> stream<T>", 0, HK_NONE, "the first n elements (in the order of the source)"},
    {"stream", "stream<str>.pipe(cmd: str) -> stream<str>", 0, HK_NONE, "each element as a line through an external program (/bin/sh -c cmd, one per task); its output lines"},
    /* ---- element-wise, keyed streams: f sees (key, value) pairs, the key stays ---- */
    {"keyed", "keyed<K, T>.map(f: ((K, T)) -> U) -> keyed<K, U>", KT, HK_NONE, "a new value for each (key, value); the key stays"},
    {"keyed", "keyed<K, T>.filter(f: ((K, T)) -> bool) -> keyed<K, T>", KT, HK_NONE, "the (key, value) pairs for which f is true"},
    {"keyed", "keyed<K, T>.flat_map(f: ((K, T)) -> vec<U>) -> keyed<K, U>", KT, HK_NONE, "several values per (key, value); the key stays"},
    {"keyed", "keyed<K, T>.filter_map(f: ((K, T)) -> opt<U>) -> keyed<K, U>", KT, HK_NONE, "the values of f that are some; the key stays"},
    {"keyed", "keyed<K, T>.inspect(f: ((K, T)) -> any) -> keyed<K, T>", KT, HK_NONE, "calls f on each (key, value) and passes it on"},
    {"keyed", "keyed<K, T>.scan(init: S, f: (S, (K, T)) -> (S, U)) -> keyed<K, U>", KT, HK_NONE, "a stateful map with one state per key"},
    {"keyed", "keyed<K, T>.unkey() -> stream<(K, T)>", KT, HK_NONE, "the (key, value) pairs as a plain stream"},
    {"keyed", "keyed<K, T>.parallelism(n: i64) -> keyed<K, T>", KT, HK_NONE, "runs the operators before it with n tasks"},

    /* ---- aggregations of a whole stream: one element out ---- */
    {"aggregate", "stream<T>.fold(init: A, f: (A, T) -> A) -> stream<A>", 0, HK_NONE, "folds every element on one task (each upstream task's elements in order)"},
    {"aggregate", "stream<T>.reduce(f: (T, T) -> T) -> stream<T>", 0, HK_NONE, "reduces every element on one task (each upstream task's elements in order)"},
    {"aggregate", "stream<T>.fold_assoc(init: A, local: (A, T) -> A, merge: (A, A) -> A) -> stream<A>", 0, HK_NONE, "each task folds its elements, then the partial results are merged"},
    {"aggregate", "stream<T>.reduce_assoc(f: (T, T) -> T) -> stream<T>", 0, HK_NONE, "each task reduces its elements, then the partial results are reduced"},
    {"aggregate", "stream<T>.count() -> stream<i64>", 0, HK_NONE, "the number of elements"},
    {"aggregate", "stream<T>.sum(f: (T) -> N) -> stream<N>", 0, HK_NONE, "the sum of f(x)"},
    {"aggregate", "stream<T>.min(f: (T) -> O) -> stream<T>", 0, HK_NONE, "the element with the smallest f(x) (of equals, the first to arrive)"},
    {"aggregate", "stream<T>.max(f: (T) -> O) -> stream<T>", 0, HK_NONE, "the element with the largest f(x) (of equals, the first to arrive)"},
    {"aggregate", "stream<T>.avg(f: (T) -> N) -> stream<f64>", 0, HK_NONE, "the mean of f(x)"},
    /* ---- keyed aggregations: one (key, value) per key ---- */
    {"keyed", "keyed<K, T>.fold(init: A, f: (A, T) -> A) -> keyed<K, A>", 0, HK_NONE, "folds the values of each key"},
    {"keyed", "keyed<K, T>.reduce(f: (T, T) -> T) -> keyed<K, T>", 0, HK_NONE, "reduces the values of each key"},
    {"keyed", "keyed<K, T>.fold_assoc(init: A, local: (A, T) -> A, merge: (A, A) -> A) -> keyed<K, A>", 0, HK_NONE, "folds per key before and after the shuffle"},
    {"keyed", "keyed<K, T>.reduce_assoc(f: (T, T) -> T) -> keyed<K, T>", 0, HK_NONE, "reduces per key before and after the shuffle"},
    {"keyed", "keyed<K, T>.count() -> keyed<K, i64>", 0, HK_NONE, "the number of values of each key"},
    {"keyed", "keyed<K, T>.sum(f: (T) -> N) -> keyed<K, N>", 0, HK_NONE, "the sum of f(value) per key"},
    {"keyed", "keyed<K, T>.min(f: (T) -> O) -> keyed<K, T>", 0, HK_NONE, "the value with the smallest f per key"},
    {"keyed", "keyed<K, T>.max(f: (T) -> O) -> keyed<K, T>", 0, HK_NONE, "the value with the largest f per key"},
    {"keyed", "keyed<K, T>.avg(f: (T) -> N) -> keyed<K, f64>", 0, HK_NONE, "the mean of f(value) per key"},

    /* ---- keys and partitioning ---- */
    {"keys", "stream<T>.group_by(key: (T) -> K) -> keyed<K, T>", KT, HK_NONE, "keys the stream by key(x), repartitioning by its hash"},
    {"keys", "stream<T>.key_by(key: (T) -> K) -> keyed<K, T>", KT, HK_NONE, "keys the stream without repartitioning (the data is already partitioned by the key)"},
    {"keys", "stream<T>.group_by_count(key: (T) -> K) -> keyed<K, i64>", 0, HK_NONE, "group_by(key).count(), pre-aggregated before the shuffle"},
    {"keys", "stream<T>.group_by_sum(key: (T) -> K, value: (T) -> N) -> keyed<K, N>", 0, HK_NONE, "group_by(key).sum(value), pre-aggregated"},
    {"keys", "stream<T>.group_by_avg(key: (T) -> K, value: (T) -> N) -> keyed<K, f64>", 0, HK_NONE, "group_by(key).avg(value), pre-aggregated"},
    {"keys", "stream<T>.group_by_reduce(key: (T) -> K, f: (T, T) -> T) -> keyed<K, T>", 0, HK_NONE, "group_by(key).reduce_assoc(f), pre-aggregated"},
    {"keys", "stream<T>.group_by_fold(key: (T) -> K, init: A, f: (A, T) -> A, merge: (A, A) -> A) -> keyed<K, A>", 0, HK_NONE, "group_by(key).fold_assoc(init, f, merge), pre-aggregated"},
    {"keys", "stream<K>.distinct() -> stream<K>", 0, HK_NONE, "each distinct element once (repartitions by hash)"},
    {"partition", "stream<T>.shuffle() -> stream<T>", KT, HK_NONE, "spreads the elements evenly over the tasks"},
    {"partition", "stream<T>.broadcast() -> stream<T>", KT, HK_NONE, "sends every element to every task"},
    {"partition", "stream<T>.parallelism(n: i64) -> stream<T>", KT, HK_NONE, "runs the operators before it with n tasks"},

    /* ---- several streams ---- */
    {"multi", "stream<T>.merge(other: stream<T>) -> stream<T>", KT, HK_MERGE, "the elements of both streams"},
    {"multi", "stream<T>.zip(other: stream<U>) -> stream<(T, U)>", 0, HK_NONE, "pairs the i-th elements of both streams"},
    {"multi", "stream<T>.join(other: stream<U>, left_key: (T) -> K, right_key: (U) -> K, how: sym(inner|left|outer) = inner, ship: sym(hash|broadcast) = hash) -> stream<(T, U)>", 0, HK_JOIN, "pairs with equal keys; how: left gives (T, opt<U>), outer gives (opt<T>, opt<U>)"},
    {"multi", "stream<T>.window_join(other: stream<U>, window: winspec<T>, left_key: (T) -> K, right_key: (U) -> K) -> stream<(T, U)>", KT, HK_WINDOW_JOIN, "pairs with equal keys that fall in the same time window"},
    {"multi", "keyed<K, T>.interval_join(other: keyed<K, U>, lower: i64, upper: i64) -> keyed<K, (T, U)>", KT, HK_INTERVAL_JOIN, "pairs (a, b) with equal keys and time(a) + lower <= time(b) <= time(a) + upper"},

    /* ---- time and windows ---- */
    {"time", "stream<T>.event_time(f: (T) -> i64, delay: i64 = 0ms) -> stream<T>", KT, HK_EVENT_TIME, "stamps each element with event time f(x) (ms) and emits watermarks max(seen) - delay"},
    {"time", "stream<T>.late() -> stream<T>", KT, HK_NONE, "the elements event_time(..) found behind its watermark (else dropped and counted)"},
    {"window", "keyed<K, T>.window(spec: winspec<T>, time: sym(auto|event|processing) = auto) -> kwindowed<K, T>", KT, HK_WINDOW, "windows of each key"},
    {"window", "stream<T>.window_all(spec: winspec<T>, time: sym(auto|event|processing) = auto) -> windowed<T>", KT, HK_WINDOW, "windows of the whole stream (one task)"},
    {"window", "count(n: i64, slide: i64 = n) -> count_win<T>", 0, HK_NONE, "the last n elements, every slide elements"},
    {"window", "tumbling(size: i64) -> tumbling_win<T>", 0, HK_NONE, "back-to-back time windows [k*size, (k+1)*size)"},
    {"window", "sliding(size: i64, slide: i64) -> sliding_win<T>", 0, HK_NONE, "time windows of length size starting every slide"},
    {"window", "session(gap: i64) -> session_win<T>", 0, HK_NONE, "elements closer than gap in time form one window"},
    {"window", "transaction(f: (T) -> txn) -> txn_win<T>", 0, HK_NONE, "f decides for each element: commit(), commit_after(t), keep() or discard()"},
    {"window", "commit() -> txn", 0, HK_NONE, "closes the window with this element in it"},
    {"window", "commit_after(t: i64) -> txn", 0, HK_NONE, "closes the window t ms after this element"},
    {"window", "keep() -> txn", 0, HK_NONE, "adds the element to the window"},
    {"window", "discard() -> txn", 0, HK_NONE, "drops the window's elements so far"},
    {"window", "windowed<T>.count() -> stream<Window<i64>>", KT, HK_NONE, "the number of elements of each window"},
    {"window", "windowed<T>.sum(f: (T) -> N) -> stream<Window<N>>", KT, HK_NONE, "the sum of f(x) per window"},
    {"window", "windowed<T>.min(f: (T) -> O) -> stream<Window<T>>", KT, HK_NONE, "the element with the smallest f(x) per window"},
    {"window", "windowed<T>.max(f: (T) -> O) -> stream<Window<T>>", KT, HK_NONE, "the element with the largest f(x) per window"},
    {"window", "windowed<T>.avg(f: (T) -> N) -> stream<Window<f64>>", KT, HK_NONE, "the mean of f(x) per window"},
    {"window", "windowed<T>.fold(init: A, f: (A, T) -> A) -> stream<Window<A>>", KT, HK_NONE, "folds each window"},
    {"window", "windowed<T>.reduce(f: (T, T) -> T) -> stream<Window<T>>", KT, HK_NONE, "reduces each window"},
    {"window", "windowed<T>.first() -> stream<Window<T>>", KT, HK_NONE, "the first element of each window"},
    {"window", "windowed<T>.last() -> stream<Window<T>>", KT, HK_NONE, "the last element of each window"},
    {"window", "windowed<T>.collect() -> stream<Window<vec<T>>>", KT, HK_NONE, "the elements of each window"},
    {"window", "kwindowed<K, T>.count() -> keyed<K, Window<i64>>", KT, HK_NONE, "the number of elements per key and window"},
    {"window", "kwindowed<K, T>.sum(f: (T) -> N) -> keyed<K, Window<N>>", KT, HK_NONE, "the sum of f(x) per key and window"},
    {"window", "kwindowed<K, T>.min(f: (T) -> O) -> keyed<K, Window<T>>", KT, HK_NONE, "the element with the smallest f(x) per key and window"},
    {"window", "kwindowed<K, T>.max(f: (T) -> O) -> keyed<K, Window<T>>", KT, HK_NONE, "the element with the largest f(x) per key and window"},
    {"window", "kwindowed<K, T>.avg(f: (T) -> N) -> keyed<K, Window<f64>>", KT, HK_NONE, "the mean of f(x) per key and window"},
    {"window", "kwindowed<K, T>.fold(init: A, f: (A, T) -> A) -> keyed<K, Window<A>>", KT, HK_NONE, "folds each key's windows"},
    {"window", "kwindowed<K, T>.reduce(f: (T, T) -> T) -> keyed<K, Window<T>>", KT, HK_NONE, "reduces each key's windows"},
    {"window", "kwindowed<K, T>.first() -> keyed<K, Window<T>>", KT, HK_NONE, "the first element per key and window"},
    {"window", "kwindowed<K, T>.last() -> keyed<K, Window<T>>", KT, HK_NONE, "the last element per key and window"},
    {"window", "kwindowed<K, T>.collect() -> keyed<K, Window<vec<T>>>", KT, HK_NONE, "the elements per key and window"},

    /* ---- iterations ---- */
    {"iterate", "stream<T>.iterate(max: i64, state: S, body: (stream<T>, S) -> stream<T>, local: (D, (D, T) -> D) = _, merge: (D, D) -> D = _, step: (S, D) -> S, until: (S, S) -> bool = _) -> (stream<S>, stream<T>)", 0, HK_ITERATE, "rounds whose output is the next round's input"},
    {"iterate", "stream<T>.replay(max: i64, state: S, body: (stream<T>, S) -> stream<U>, local: (D, (D, U) -> D) = _, merge: (D, D) -> D = _, step: (S, D) -> S, until: (S, S) -> bool = _) -> (stream<S>, stream<U>)", 0, HK_ITERATE, "rounds that each re-read the original input"},

    /* ---- streams to values (an earlier phase) ---- */
    {"value", "elems<T>.collect() -> vec<T>", OPF_PHASE, HK_NONE, "every element, as a vector value"},
    {"value", "elems<T>.one() -> T", OPF_PHASE, HK_NONE, "the only element (an error at run time unless there is exactly one)"},

    /* ---- sinks ---- */
    {"sink", "elems<T>.write_csv(path: str) -> sink", 0, HK_WRITE_CSV, "CSV with a header from the field names (nested tuples and records flattened); \"-\" is standard output"},
    {"sink", "elems<T>.write_lines(path: str) -> sink", 0, HK_NONE, "one element per line (strings as they are, others as to_str)"},
    {"sink", "elems<T>.write_arrow(path: str, binary: bool = false) -> sink", 0, HK_WRITE_ARROW, "Apache Arrow IPC: the file format, or the stream format to \"-\" or a path ending in .arrows; a column per field"},
    {"sink", "elems<T>.write_jsonl(path: str) -> sink", 0, HK_WRITE_JSONL, "one JSON value per line: records as objects, tuples and vectors as arrays, none as null"},
    {"sink", "elems<T>.print() -> sink", 0, HK_NONE, "one element per line on standard output"},
    {"sink", "elems<T>.to_host() -> sink", 0, HK_NONE, "each element to a callback of the host program (the C API of flowc build --lib)"},
    {"sink", "elems<T>.for_each(f: (T) -> any) -> sink", 0, HK_NONE, "calls f on each element"},
    {"sink", "elems<T>.count_into(path: str) -> sink", 0, HK_NONE, "writes the number of elements to path"},

    /* ---- strings ---- */
    {"string", "lower(s: str) -> str", 0, HK_NONE, "ASCII lowercase"},
    {"string", "upper(s: str) -> str", 0, HK_NONE, "ASCII uppercase"},
    {"string", "trim(s: str) -> str", 0, HK_NONE, "without leading and trailing white space"},
    {"string", "split(s: str, sep: str) -> vec<str>", 0, HK_NONE, "the parts between occurrences of sep"},
    {"string", "words(s: str) -> vec<str>", 0, HK_NONE, "the maximal runs of letters and digits"},
    {"string", "len(s: str) -> i64", 0, HK_NONE, "the length in bytes"},
    {"string", "substr(s: str, start: i64, n: i64) -> str", 0, HK_NONE, "n bytes from start (clamped to the string)"},
    {"string", "starts_with(s: str, prefix: str) -> bool", 0, HK_NONE, "whether s starts with prefix"},
    {"string", "ends_with(s: str, suffix: str) -> bool", 0, HK_NONE, "whether s ends with suffix"},
    {"string", "contains(s: str, part: str) -> bool", 0, HK_NONE, "whether part occurs in s"},
    {"string", "parse_i64(s: str) -> opt<i64>", 0, HK_NONE, "the integer s spells, or none"},
    {"string", "parse_f64(s: str) -> opt<f64>", 0, HK_NONE, "the number s spells, or none"},
    {"string", "to_str(x: T) -> str", 0, HK_NONE, "x as text (as print shows it)"},
    /* ---- math ---- */
    {"math", "abs(x: N) -> N", 0, HK_NONE, "absolute value"},
    {"math", "sqrt(x: f64) -> f64", 0, HK_NONE, "square root"},
    {"math", "min(a: O, b: O) -> O", 0, HK_NONE, "the smaller of a and b"},
    {"math", "max(a: O, b: O) -> O", 0, HK_NONE, "the larger of a and b"},
    {"math", "floor(x: f64) -> f64", 0, HK_NONE, "rounded down"},
    {"math", "ceil(x: f64) -> f64", 0, HK_NONE, "rounded up"},
    {"math", "round(x: f64) -> f64", 0, HK_NONE, "rounded to nearest, halves away from zero"},
    {"math", "pow(x: f64, y: f64) -> f64", 0, HK_NONE, "x to the power y"},
    {"math", "exp(x: f64) -> f64", 0, HK_NONE, "e to the power x"},
    {"math", "ln(x: f64) -> f64", 0, HK_NONE, "natural logarithm"},
    {"math", "bit_and(a: i64, b: i64) -> i64", 0, HK_NONE, "bitwise and"},
    {"math", "bit_or(a: i64, b: i64) -> i64", 0, HK_NONE, "bitwise or"},
    {"math", "bit_xor(a: i64, b: i64) -> i64", 0, HK_NONE, "bitwise exclusive or"},
    {"math", "shl(a: i64, n: i64) -> i64", 0, HK_NONE, "a shifted left by n bits (n taken mod 64)"},
    {"math", "shr(a: i64, n: i64) -> i64", 0, HK_NONE, "a shifted right by n bits, filling with zeros (n taken mod 64)"},
    {"math", "hash(x: K) -> i64", 0, HK_NONE, "the 64-bit XXH3 hash of x, the one used to partition keys"},
    /* ---- vectors ---- */
    {"vector", "len(v: vec<T>) -> i64", 0, HK_NONE, "the number of elements"},
    {"vector", "get(v: vec<T>, i: i64) -> T", 0, HK_NONE, "the element at i (0-based; out of range is a run-time error)"},
    {"vector", "map(v: vec<T>, f: (T) -> U) -> vec<U>", 0, HK_NONE, "f of each element"},
    {"vector", "filter(v: vec<T>, f: (T) -> bool) -> vec<T>", 0, HK_NONE, "the elements for which f is true"},
    {"vector", "fold(v: vec<T>, init: A, f: (A, T) -> A) -> A", 0, HK_NONE, "folds the elements in order"},
    {"vector", "sum(v: vec<N>) -> N", 0, HK_NONE, "the sum of the elements"},
    {"vector", "argmin(v: vec<T>, f: (T) -> O) -> i64", 0, HK_NONE, "the index of the element with the smallest f (the first of equals; -1 if empty)"},
    {"vector", "argmax(v: vec<T>, f: (T) -> O) -> i64", 0, HK_NONE, "the index of the element with the largest f (the first of equals; -1 if empty)"},
    {"vector", "sort(v: vec<O>) -> vec<O>", 0, HK_NONE, "sorted ascending"},
    {"vector", "sort_by(v: vec<T>, f: (T) -> O) -> vec<T>", 0, HK_NONE, "sorted ascending by f, stable"},
    {"vector", "concat(a: vec<T>, b: vec<T>) -> vec<T>", 0, HK_NONE, "the elements of a, then of b"},
    {"vector", "contains(v: vec<T>, x: T) -> bool", 0, HK_NONE, "whether x is an element of v"},
    {"vector", "push(v: vec<T>, x: T) -> vec<T>", 0, HK_NONE, "v with x added at the end (in place on a fold accumulator)"},
    {"vector", "fill(n: i64, x: T) -> vec<T>", 0, HK_NONE, "n copies of x"},
    {"vector", "update(v: vec<T>, i: i64, f: (T) -> T) -> vec<T>", 0, HK_NONE, "v with element i replaced by f of it (in place on a fold accumulator)"},
    {"vector", "set(v: vec<T>, i: i64, x: T) -> vec<T>", 0, HK_NONE, "v with element i replaced by x (in place on a fold accumulator)"},
    {"vector", "seq(lo: i64, hi: i64) -> vec<i64>", 0, HK_NONE, "the vector [lo, lo+1, ..., hi-1]"},
    {"vector", "slice(v: vec<T>, start: i64, n: i64) -> vec<T>", 0, HK_NONE, "n elements from start (clamped to the vector)"},
    {"vector", "zip_with(a: vec<A>, b: vec<B>, f: (A, B) -> C) -> vec<C>", 0, HK_NONE, "f of the i-th elements of a and b (as long as the shorter)"},
    /* ---- options ---- */
    {"option", "some(x: T) -> opt<T>", 0, HK_NONE, "an option holding x"},
    {"option", "none() -> opt<T>", OPF_CONST, HK_NONE, "the empty option; written `none`"},
    {"option", "is_some(o: opt<T>) -> bool", 0, HK_NONE, "whether o holds a value"},
    {"option", "is_none(o: opt<T>) -> bool", 0, HK_NONE, "whether o is empty"},
    {"option", "unwrap_or(o: opt<T>, default: T) -> T", 0, HK_NONE, "the value of o, or default"},
    /* ---- time ---- */
    {"time", "parse_date(s: str, format: str = \"%Y-%m-%d %H:%M:%S\") -> opt<i64>", 0, HK_NONE, "a UTC date and time as ms since 1970, or none if s does not match; format takes %Y %m %d %H %M %S (a date alone matches a format whose time part is missing from s)"},
    {"time", "format_date(t: i64, format: str = \"%Y-%m-%d %H:%M:%S\") -> str", 0, HK_NONE, "t (ms since 1970) as UTC text, with %Y %m %d %H %M %S"},
    {"time", "date_parts(t: i64) -> Date", 0, HK_NONE, "the UTC calendar fields of t (ms since 1970); weekday 0 is Monday"},
};

/* ---- the signature parser ---- */

typedef struct SigParser {
    const char *p;
    const char *sig;
    Arena *a;
    Type *gens[26];
    int ngen;
} SigParser;

static void sig_fail(SigParser *s, const char *what)
{
    fprintf(stderr, "flowc: internal error: bad builtin signature `%s` at `%s`: %s\n", s->sig, s->p, what);
    abort();
}

static void sig_ws(SigParser *s)
{
    while (*s->p == ' ')
        s->p++;
}

static int sig_eat(SigParser *s, const char *tok)
{
    sig_ws(s);
    size_t n = strlen(tok);
    if (strncmp(s->p, tok, n))
        return 0;
    s->p += n;
    return 1;
}

static void sig_expect(SigParser *s, const char *tok)
{
    if (!sig_eat(s, tok))
        sig_fail(s, tok);
}

static const char *sig_word(SigParser *s)
{
    sig_ws(s);
    const char *b = s->p;
    while (isalnum((unsigned char)*s->p) || *s->p == '_')
        s->p++;
    if (b == s->p)
        sig_fail(s, "a name");
    return arena_strndup(s->a, b, (size_t)(s->p - b));
}

static Type *sig_type(SigParser *s);

static Type *sig_gen(SigParser *s, char c)
{
    int i = c - 'A';
    if (!s->gens[i]) {
        Type *t = type_new(s->a, TY_GEN);
        t->u.var.id = s->ngen++;
        t->u.var.tc = c == 'N' ? TC_NUM : c == 'O' ? TC_ORD : c == 'K' ? TC_KEY : TC_NONE;
        s->gens[i] = t;
    }
    return s->gens[i];
}

static Type *sig_sym(SigParser *s)
{
    Type *t = type_new(s->a, TY_SYM);
    PtrVec names = {0};
    sig_expect(s, "(");
    do
        ptrvec_push(s->a, &names, (void *)sig_word(s));
    while (sig_eat(s, "|"));
    sig_expect(s, ")");
    t->u.sym.names = (const char **)names.items;
    t->u.sym.n = names.len;
    t->u.sym.chosen = -1;
    return t;
}

/* (A, B) or (A) -> R or ((A, B)) -> R */
static Type *sig_paren(SigParser *s)
{
    Type *elems[8];
    int n = 0;
    if (!sig_eat(s, ")")) {
        do {
            if (n == 8)
                sig_fail(s, "too many");
            elems[n++] = sig_type(s);
        } while (sig_eat(s, ","));
        sig_expect(s, ")");
    }
    if (sig_eat(s, "->"))
        return type_fn(s->a, elems, n, sig_type(s));
    if (n == 1)
        return elems[0];
    return type_tuple(s->a, elems, n);
}

static Type *sig_stream(SigParser *s, StreamShape shape, int keyed)
{
    sig_expect(s, "<");
    Type *key = keyed ? sig_type(s) : NULL;
    if (keyed)
        sig_expect(s, ",");
    Type *elem = sig_type(s);
    sig_expect(s, ">");
    return type_stream(s->a, shape, key, elem);
}

static Type *sig_one_arg(SigParser *s)
{
    sig_expect(s, "<");
    Type *t = sig_type(s);
    sig_expect(s, ">");
    return t;
}

static Type *sig_named(SigParser *s, const char *w)
{
    static const struct { const char *name; WinKind wk; } wins[] = {
        {"winspec", WK_ANY}, {"count_win", WK_COUNT}, {"tumbling_win", WK_TUMBLING},
        {"sliding_win", WK_SLIDING}, {"session_win", WK_SESSION}, {"txn_win", WK_TXN}};
    static const struct { const char *name; Type *t; } simple[] = {
        {"i64", TYPE_I64}, {"f64", TYPE_F64}, {"bool", TYPE_BOOL}, {"str", TYPE_STR},
        {"unit", TYPE_UNIT}, {"sink", TYPE_SINK}, {"txn", TYPE_TXN}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (!strcmp(w, simple[i].name))
            return simple[i].t;
    for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++)
        if (!strcmp(w, wins[i].name))
            return type_winspec(s->a, wins[i].wk, sig_one_arg(s));
    if (!strcmp(w, "any"))
        return sig_gen(s, 'Z');
    if (!strcmp(w, "sym"))
        return sig_sym(s);
    if (!strcmp(w, "vec"))
        return type_vec(s->a, sig_one_arg(s));
    if (!strcmp(w, "opt"))
        return type_opt(s->a, sig_one_arg(s));
    if (!strcmp(w, "Window"))
        return type_window(s->a, sig_one_arg(s));
    if (!strcmp(w, "Date"))
        return type_date(s->a);
    if (!strcmp(w, "type")) {
        Type *t = type_new(s->a, TY_TYPEARG);
        t->u.elem = sig_one_arg(s);
        return t;
    }
    if (!strcmp(w, "stream"))
        return sig_stream(s, SH_PLAIN, 0);
    if (!strcmp(w, "keyed"))
        return sig_stream(s, SH_KEYED, 1);
    if (!strcmp(w, "windowed"))
        return sig_stream(s, SH_WINDOWED, 0);
    if (!strcmp(w, "kwindowed"))
        return sig_stream(s, SH_KWINDOWED, 1);
    if (!strcmp(w, "elems"))
        return sig_stream(s, SH_ELEMS, 0);
    sig_fail(s, "a type");
    return NULL;
}

static Type *sig_type(SigParser *s)
{
    sig_ws(s);
    if (sig_eat(s, "("))
        return sig_paren(s);
    if (isupper((unsigned char)s->p[0]) && !isalnum((unsigned char)s->p[1]))
        return sig_gen(s, *s->p++);
    return sig_named(s, sig_word(s));
}

static const char *sig_default(SigParser *s)
{
    sig_ws(s);
    const char *b = s->p;
    int quoted = 0;
    while (*s->p && (quoted || (*s->p != ',' && *s->p != ')'))) {
        if (*s->p == '"')
            quoted = !quoted;
        s->p++;
    }
    const char *d = arena_strndup(s->a, b, (size_t)(s->p - b));
    return strcmp(d, "_") ? d : "";
}

static void sig_params(SigParser *s, Op *op)
{
    PtrVec ps = {0};
    sig_expect(s, "(");
    if (!sig_eat(s, ")")) {
        do {
            OpParam *p = arena_alloc(s->a, sizeof *p);
            p->name = sig_word(s);
            sig_expect(s, ":");
            p->type = sig_type(s);
            if (sig_eat(s, "="))
                p->def = sig_default(s);
            ptrvec_push(s->a, &ps, p);
        } while (sig_eat(s, ","));
        sig_expect(s, ")");
    }
    op->nparams = ps.len;
    op->params = arena_alloc(s->a, sizeof(OpParam) * (size_t)(ps.len ? ps.len : 1));
    for (int i = 0; i < ps.len; i++)
        op->params[i] = *(OpParam *)ps.items[i];
}

static void ops_parse(Arena *a, const OpDef *def, Op *op)
{
    SigParser s = {.p = def->sig, .sig = def->sig, .a = a};
    op->def = def;
    const char *dot = strchr(def->sig, '.');
    const char *paren = strchr(def->sig, '(');
    if (dot && dot < paren) {
        op->recv = sig_type(&s);
        sig_expect(&s, ".");
    }
    op->name = sig_word(&s);
    sig_params(&s, op);
    sig_expect(&s, "->");
    op->ret = sig_type(&s);
    sig_ws(&s);
    if (*s.p)
        sig_fail(&s, "end of signature");
    op->ngen = s.ngen;
}

static int ops_cmp(const void *x, const void *y)
{
    const Op *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->def > b->def) - (a->def < b->def);
}

OpTable *ops_load(Arena *a)
{
    int n = (int)(sizeof ops_table / sizeof ops_table[0]);
    OpTable *t = arena_alloc(a, sizeof *t);
    t->ops = arena_alloc(a, sizeof(Op) * (size_t)n);
    t->n = n;
    for (int i = 0; i < n; i++)
        ops_parse(a, &ops_table[i], &t->ops[i]);
    qsort(t->ops, (size_t)n, sizeof(Op), ops_cmp);
    return t;
}

int ops_find(const OpTable *t, const char *name, int *first)
{
    int lo = 0, hi = t->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (strcmp(t->ops[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int n = 0;
    while (lo + n < t->n && !strcmp(t->ops[lo + n].name, name))
        n++;
    *first = lo;
    return n;
}

const char **ops_names(const OpTable *t, Arena *a, int *n)
{
    const char **names = arena_alloc(a, sizeof(char *) * (size_t)t->n);
    int k = 0;
    for (int i = 0; i < t->n; i++)
        if (!k || strcmp(names[k - 1], t->ops[i].name))
            names[k++] = t->ops[i].name;
    *n = k;
    return names;
}

const OpDef *ops_defs(int *n)
{
    *n = (int)(sizeof ops_table / sizeof ops_table[0]);
    return ops_table;
}
