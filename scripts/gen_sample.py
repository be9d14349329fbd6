#!/usr/bin/env python3
"""gen_sample.py: write a deterministic English-like text, for examples and tests.

Lines of 6 to 14 words drawn from a fixed vocabulary of about 400 common English and
made-up words with a Zipf-like distribution (the word of rank r has weight 1/r). Sentences
start with a capital letter and end with a period; some words are followed by a comma, a few
are capitalised or written in capitals, and some names are always capitalised, so lowercasing
and word splitting change the counts. The text is ASCII with '\\n' line ends.

The generator uses its own PRNG (splitmix64) and integer arithmetic only, so the output is
byte-identical on every Python 3 version and platform.

Usage: python3 scripts/gen_sample.py [--bytes N] [--seed S] > file
       (default 300000 bytes; the output stops at the last whole line that fits in N bytes)
"""

import argparse
import bisect
import sys

# Ordered by rank: the first word is the most frequent.
COMMON = """
the of and to a in is it that was he for on are as with his they at be this from
have or by one had not but what all were when we there can an your which their said if
do will each about how up out them then she many some so these would other into has more
her two like him see time could no make than first been its who now people my made over
did down only way find use may water long little very after words called just where most
know get through back much go good new write our me man too any day same right look think
also around another came come work three must because does part even place well such here
take why help put different away again off went old number great tell men say small every
found still between name should home big give air line set own under read last never us
left end along while might next sound below saw something thought both few those always
show large often together asked house world going want school important until form food
keep children feet land side without boy once animal life enough took four head above kind
began almost live page got earth need far hand high year mother light country father let
night picture being study second soon story since white ever paper hard near sentence
better best across during today however sure knew try told young sun thing whole hear
example heard several change answer room sea against top turned learn point city play
toward five himself usually money seen car morning river mountain bread stone letter
window garden winter summer bridge market road village forest field song
""".split()

MADE_UP = """
zorvik plenth quarrow mistle brendle faroon glimmick tarvel snorrow vexil drune halbrick
ostrel pellow quimby runnet sarkle thessen ulvar wistom zephrin ambrel corrin dallow
emberlin fennick gorsel hithe jandrel kestrin lomary marrick nettle orvane pindle quessel
rabbet scorrel tindle umbrick varnow wembly yollick zarrow blenkin crostle dwimmer flinder
grumbel hasket isolde jibber klavet lurren mordle nimbrel oakum pottle quillon rindle
sporrow thrimble undle vossick whelk yarnel bristow cadwen drossle eskin frumple gantle
hollin inkwell jorum kettrel lissom munder nockle parvel quaddle ruskin slithen tobble
urrow velk wimble zandle brimmet chaffer dorrel eldwin fogle glossom hemmet ittle jessop
""".split()

NAMES = """
Aldren Mirovia Keswin Tollan Brasket Orune Velmora Hask Quentar Sibby Ondrel Pharos
Ilvane Corbett Dunmere Ysolde
""".split()


def vocabulary():
    """The words in rank order: 30 common words, then two common words for each made-up one."""
    extra = [w for pair in zip(MADE_UP, NAMES + [None] * len(MADE_UP)) for w in pair if w]
    words, common = COMMON[:30], COMMON[30:]
    while common or extra:
        words += common[:2] + extra[:1]
        common, extra = common[2:], extra[1:]
    return words


class SplitMix64:
    """A small 64-bit PRNG with the same output everywhere (unlike the random module)."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        """An integer in [0, n)."""
        return self.next() % n

    def chance(self, per_thousand):
        return self.below(1000) < per_thousand


class Text:
    def __init__(self, seed):
        self.rng = SplitMix64(seed)
        self.words = vocabulary()
        self.cumulative = []
        total = 0
        for rank in range(1, len(self.words) + 1):
            total += 1_000_000 // rank  # Zipf, s = 1
            self.cumulative.append(total)
        self.sentence_start = True

    def word(self):
        i = bisect.bisect_right(self.cumulative, self.rng.below(self.cumulative[-1]))
        w = self.words[i]
        if self.rng.chance(3):
            return w.upper()
        if self.sentence_start or self.rng.chance(20):
            return w[0].upper() + w[1:]
        return w

    def line(self):
        n = 6 + self.rng.below(9)  # 6 to 14 words
        out = []
        for i in range(n):
            w = self.word()
            self.sentence_start = False
            last = i == n - 1
            if (last and self.rng.chance(700)) or (not last and self.rng.chance(60)):
                w += "."
                self.sentence_start = True
            elif not last and self.rng.chance(80):
                w += ","
            out.append(w)
        return " ".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Write a deterministic English-like text.")
    ap.add_argument("--bytes", type=int, default=300_000, help="size limit (default 300000)")
    ap.add_argument("--seed", type=int, default=20240601, help="PRNG seed")
    args = ap.parse_args()
    text, size, out = Text(args.seed), 0, sys.stdout.buffer
    while True:
        line = text.line().encode("ascii")
        if size + len(line) > args.bytes:
            break
        out.write(line)
        size += len(line)


if __name__ == "__main__":
    main()
