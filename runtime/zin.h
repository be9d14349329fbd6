/* zin.h - compressed input files read as a stream of bytes (zin.c): gzip
 * (every member of a multi-member file) and zstd (every frame), told by
 * their magic number. The libraries are loaded with dlopen when the first
 * compressed file is met, so job binaries link nothing for them: ISA-L's
 * igzip (libisal.so.2, the faster) or zlib (libz.so.1) for gzip, chosen by
 * FLOWC_GZIP=isal|zlib or the first present; libzstd.so.1 for zstd.
 * Memory: a fixed input buffer and the library's state, whatever the size
 * of the file. Errors come back as -1 with a message naming the file (and
 * the byte where the problem is) in the stream's err. */
#ifndef FLRT_ZIN_H
#define FLRT_ZIN_H

#include "flowrt.h"

enum { FLRT_Z_PLAIN, FLRT_Z_GZIP, FLRT_Z_ZSTD, FLRT_Z_LZ4 };

typedef struct flrt_zin flrt_zin;

/* The format of a file that starts with the n bytes at head (n < 4: what
 * it has): FLRT_Z_GZIP, FLRT_Z_ZSTD (a frame or a skippable frame), or
 * FLRT_Z_PLAIN. */
int flrt_zin_kind(const unsigned char *head, fl_i64 n);

/* Opens path (kind: FLRT_Z_GZIP or FLRT_Z_ZSTD) and loads its library:
 * the stream, or NULL with a message in err (errn bytes). */
flrt_zin *flrt_zin_open(const char *path, int kind, char *err, fl_i64 errn);
/* Up to n decompressed bytes into out: how many (> 0), 0 at the clean end
 * of the file, -1 on an error (flrt_zin_error says which). */
fl_i64 flrt_zin_read(flrt_zin *z, char *out, fl_i64 n);
const char *flrt_zin_error(const flrt_zin *z);
/* Compressed bytes used so far, and the file's size. */
fl_i64 flrt_zin_used(const flrt_zin *z);
fl_i64 flrt_zin_size(const flrt_zin *z);
void flrt_zin_close(flrt_zin *z);

/* A whole compressed block (one zstd frame, FLRT_Z_ZSTD, or one LZ4 frame,
 * FLRT_Z_LZ4: Arrow's compressed buffers) src[0, n) into dst, which it must
 * fill exactly (cap bytes); loads the library on first use (liblz4.so.1 for
 * LZ4). 0, or -1 with a message in err. */
int flrt_zin_block(int kind, const unsigned char *src, fl_i64 n, unsigned char *dst, fl_i64 cap, char *err,
                   fl_i64 errn);

#endif
