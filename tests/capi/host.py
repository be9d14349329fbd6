#!/usr/bin/env python3
"""host.py LIBSALES: the sales job library (tests/capi/sales.flow) driven from Python's ctypes:
rows pushed as C structs, totals received by callbacks, compared with Python's own sums; the
param left to its default; a job started and finished twice in one process."""
import ctypes as C
import sys

class Str(C.Structure):
    _fields_ = [("ptr", C.c_char_p), ("len", C.c_longlong)]

class Sale(C.Structure):
    _fields_ = [("shop", Str), ("amount", C.c_longlong)]

class Total(C.Structure):            # (str, i64): tup2 in libsales.h
    _fields_ = [("key", Str), ("value", C.c_longlong)]

class Params(C.Structure):
    _fields_ = [("large", C.c_longlong), ("large_given", C.c_int), ("unused_", C.c_int)]

OUT0 = C.CFUNCTYPE(None, C.c_void_p, C.POINTER(Total))
OUT1 = C.CFUNCTYPE(None, C.c_void_p, C.POINTER(C.c_longlong))

class IO(C.Structure):
    _fields_ = [("ctx", C.c_void_p), ("out0", OUT0), ("out1", OUT1), ("arrow0", C.c_void_p), ("arrow1", C.c_void_p)]

lib = C.CDLL(sys.argv[1])
lib.sales_start.restype = C.c_void_p
lib.sales_start.argtypes = [C.POINTER(Params), C.c_int, C.POINTER(IO), C.c_char_p, C.c_long]
lib.sales_push.argtypes = [C.c_void_p, C.POINTER(Sale)]
lib.sales_finish.argtypes = [C.c_void_p, C.c_char_p, C.c_long]

def run(rows, params):
    totals, large = {}, []
    def on_total(_, row):
        r = row.contents
        totals[C.string_at(r.key.ptr, r.key.len).decode()] = r.value
    def on_large(_, n):
        large.append(n.contents.value)
    out0, out1 = OUT0(on_total), OUT1(on_large)
    io = IO(None, out0, out1, None, None)
    err = C.create_string_buffer(256)
    h = lib.sales_start(C.byref(params), 2, C.byref(io), err, 256)
    assert h, err.value
    keep = []
    for shop, amount in rows:
        b = shop.encode()
        keep.append(b)
        assert lib.sales_push(h, C.byref(Sale(Str(b, len(b)), amount))) == 0
    assert lib.sales_finish(h, err, 256) == 0, err.value
    return totals, large

rows = [("shop%d" % (i % 5), (i * 13) % 700) for i in range(3000)]
want = {}
for s, a in rows:
    want[s] = want.get(s, 0) + a
for given, limit in ((0, 100), (1, 400)):   # the default (100), then given
    got, large = run(rows, Params(limit if given else 0, given, 0))
    assert got == want, (got, want)
    assert large == [sum(1 for _, a in rows if a >= limit)], large
print("ok: the C API from Python's ctypes (two runs, totals and counts as Python computes them)")
