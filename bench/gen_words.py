#!/usr/bin/env python3
# gen_words.py - deterministic input generator for the word count benchmark.
#
# Writes lines of 8 words separated by single spaces (as in the Renoir
# paper's word count input): each word is drawn from a fixed vocabulary of
# 1,000,000 random 8-letter lowercase words, uniformly by default or, with
# --zipf, Zipf-distributed (s = 1.1, rank k has weight 1/k^s) over the same
# vocabulary. Whole lines are written until the next one would pass --bytes.
# A fixed seed makes the output the same on every run (Python 3's Random).
#
#   bench/gen_words.py --bytes 500000000 [--zipf] [--seed 1] -o FILE
#
# Pure Python (no numpy): the vocabulary is built once, lines are made in
# blocks of 100,000 with random.choices and written in large chunks
# (roughly 20 s per 500 MB uniform, 40 s Zipf).
import argparse
import itertools
import random
import string
import sys

VOCAB = 1_000_000
WORDS_PER_LINE = 8
BLOCK = 100_000          # lines per random.choices call


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bytes", type=int, required=True, help="output size limit in bytes")
    ap.add_argument("--zipf", action="store_true", help="Zipf(1.1) word frequencies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    letters = string.ascii_lowercase
    vocab = ["".join(rnd.choices(letters, k=8)) for _ in range(VOCAB)]
    cum = None
    if a.zipf:
        cum = list(itertools.accumulate(1.0 / (k ** 1.1) for k in range(1, VOCAB + 1)))

    line_len = WORDS_PER_LINE * 9          # 8 words of 8 letters, 7 spaces, newline
    nlines = a.bytes // line_len
    out = sys.stdout.buffer if a.output == "-" else open(a.output, "wb")
    done = 0
    while done < nlines:
        n = min(BLOCK, nlines - done)
        w = rnd.choices(vocab, cum_weights=cum, k=n * WORDS_PER_LINE)
        text = "\n".join(" ".join(w[i:i + WORDS_PER_LINE])
                         for i in range(0, len(w), WORDS_PER_LINE))
        out.write(text.encode("ascii"))
        out.write(b"\n")
        done += n
    if out is not sys.stdout.buffer:
        out.close()


if __name__ == "__main__":
    main()
