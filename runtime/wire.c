/* wire.c - the bytes that travel between the processes of a job, encoded
 * and checked without any I/O (net.c does the reading and writing; the
 * fuzz target and the unit tests call these directly).
 *
 * A frame is a 24-byte header, little-endian: u32 length of the rest of
 * the frame (20 + payload), u16 kind, u16 input, u32 source task, u32
 * destination task, u32 rows (DATA) or count (CREDIT), u32 reserved (0);
 * then the payload: a serialized batch (DATA), a message (FAIL), a phase's
 * value (VALUES) or an i64 (WATERMARK).
 *
 * A connection opens with a handshake, the same from both sides: a
 * greeting (8-byte magic "FLOWCJOB", u32 protocol version, u32 0, a
 * 16-byte random nonce), then, once the other's greeting is read, a hello:
 * u64 job fingerprint, u32 rank, u32 processes, u32 threads, u32 listening
 * port, i64 rows per batch, flowc's version (24 bytes, NUL-padded), u64
 * hash of the job's arguments, 16 bytes 0, and a 16-byte MAC: XXH3-128 of the job's secret, the OTHER
 * side's nonce and the 80 bytes before the MAC. A peer without the secret
 * cannot answer a fresh nonce. (XXH3 is not a cryptographic MAC: this
 * keeps out strangers and mistakes, not an attacker who reads the
 * traffic; docs/runtime.md says so.) */
#define _GNU_SOURCE
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "flrt_int.h"

static const char magic[8] = {'F', 'L', 'O', 'W', 'C', 'J', 'O', 'B'};

static void put32(unsigned char *p, fl_u64 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, fl_u64 v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static fl_u64 get32(const unsigned char *p)
{
    return (fl_u64)p[0] | (fl_u64)p[1] << 8 | (fl_u64)p[2] << 16 | (fl_u64)p[3] << 24;
}

static fl_u64 get64(const unsigned char *p) { return get32(p) | get32(p + 4) << 32; }

/* ---- frames ---- */

void flrt_frame_encode(unsigned char *hdr, const flrt_frame *f)
{
    put32(hdr, (fl_u64)(FLRT_FRAME_HDR - 4 + f->len));
    hdr[4] = (unsigned char)f->kind;
    hdr[5] = (unsigned char)(f->kind >> 8);
    hdr[6] = (unsigned char)f->input;
    hdr[7] = (unsigned char)(f->input >> 8);
    put32(hdr + 8, f->src);
    put32(hdr + 12, f->dst);
    put32(hdr + 16, f->n);
    put32(hdr + 20, 0);
}

int flrt_frame_decode(const unsigned char *hdr, flrt_frame *f, const char **err)
{
    fl_u64 len = get32(hdr);
    f->kind = hdr[4] | hdr[5] << 8;
    f->input = hdr[6] | hdr[7] << 8;
    f->src = get32(hdr + 8);
    f->dst = get32(hdr + 12);
    f->n = get32(hdr + 16);
    f->len = (fl_i64)len - (FLRT_FRAME_HDR - 4);
    if (len < FLRT_FRAME_HDR - 4 || f->len > FLRT_FRAME_MAX)
        *err = "a frame length out of range";
    else if (f->kind < FLRT_F_DATA || f->kind > FLRT_F_MAX)
        *err = "an unknown frame kind";
    else if (get32(hdr + 20) != 0)
        *err = "a frame with a nonzero reserved field";
    else if (f->input >= 32)
        *err = "a frame for an input out of range";
    else if (f->kind == FLRT_F_WATERMARK && f->len != 8)
        *err = "a watermark frame without its 8 bytes";
    else if (f->kind == FLRT_F_STATS && (f->len != (fl_i64)f->n * 8 || f->n == 0))
        *err = "a stats frame of the wrong length";
    else if (f->kind != FLRT_F_DATA && f->kind != FLRT_F_FAIL && f->kind != FLRT_F_VALUES &&
             f->kind != FLRT_F_WATERMARK && f->kind != FLRT_F_STATS && f->len != 0)
        *err = "a control frame with a payload";
    else if (f->kind == FLRT_F_DATA && (f->n == 0 || f->len == 0))
        *err = "an empty data frame";
    else
        return 0;
    return -1;
}

/* ---- the handshake ---- */

void flrt_greet_encode(unsigned char *out, const unsigned char nonce[16])
{
    memcpy(out, magic, 8);
    put32(out + 8, FLRT_PROTO);
    put32(out + 12, 0);
    memcpy(out + 16, nonce, 16);
}

int flrt_greet_decode(const unsigned char *in, unsigned char nonce[16], const char **err)
{
    if (memcmp(in, magic, 8) != 0) {
        *err = "not a flowc job (bad magic)";
        return -1;
    }
    if (get32(in + 8) != FLRT_PROTO) {
        *err = "another version of the flowc protocol";
        return -1;
    }
    memcpy(nonce, in + 16, 16);
    return 0;
}

static void mac(unsigned char out[16], const char *secret, const unsigned char nonce[16],
                const unsigned char *fields)
{
    XXH3_state_t st;
    XXH3_128bits_reset(&st);
    XXH3_128bits_update(&st, secret, strlen(secret));
    XXH3_128bits_update(&st, nonce, 16);
    XXH3_128bits_update(&st, fields, 80);
    XXH128_hash_t h = XXH3_128bits_digest(&st);
    put64(out, h.low64);
    put64(out + 8, h.high64);
}

void flrt_hello_encode(unsigned char *out, const flrt_hello *h, const char *secret,
                       const unsigned char peer_nonce[16])
{
    memset(out, 0, FLRT_HELLO);
    put64(out, h->fingerprint);
    put32(out + 8, (fl_u64)h->rank);
    put32(out + 12, (fl_u64)h->nprocs);
    put32(out + 16, (fl_u64)h->threads);
    put32(out + 20, (fl_u64)h->port);
    put64(out + 24, (fl_u64)h->batch);
    size_t vl = strnlen(h->version, 23);
    memcpy(out + 32, h->version, vl);
    put64(out + 56, h->args);
    mac(out + 80, secret, peer_nonce, out);
}

int flrt_hello_decode(const unsigned char *in, flrt_hello *h, const char *secret,
                      const unsigned char own_nonce[16], const char **err)
{
    unsigned char m[16];
    mac(m, secret, own_nonce, in);
    if (memcmp(m, in + 80, 16) != 0) {
        *err = "a wrong secret";
        return -2;
    }
    h->fingerprint = get64(in);
    h->rank = (int)get32(in + 8);
    h->nprocs = (int)get32(in + 12);
    h->threads = (int)get32(in + 16);
    h->port = (int)get32(in + 20);
    h->batch = (fl_i64)get64(in + 24);
    memcpy(h->version, in + 32, 23);
    h->version[23] = 0;
    h->args = get64(in + 56);
    if (h->rank < 0 || h->nprocs < 1 || h->rank >= h->nprocs || h->threads < 1 || h->threads > 1024 || h->port < 0 ||
        h->port > 65535 || h->batch < 1) {
        *err = "a hello with fields out of range";
        return -1;
    }
    return 0;
}

fl_u64 flrt_fingerprint_parse(const char *hex)
{
    fl_u64 v = 0;
    for (const char *p = hex ? hex : ""; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        v = v << 4 | (fl_u64)d;
    }
    return v;
}
