"""tests/tier/gen.py OUT LINES: deterministic text (a Zipf-like mix of words, some in upper
case) for the tiered JIT's tests."""
import random
import sys

out, lines = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
vocab = ["w%d" % i for i in range(5000)] + ["Alpha", "BETA", "gamma", "Delta9"]
weights = [1.0 / (i + 1) for i in range(len(vocab))]
with open(out, "w") as f:
    for _ in range(lines):
        n = rng.randint(0, 12)
        f.write(" ".join(rng.choices(vocab, weights, k=n)) + ("," if n % 3 == 0 else "") + "\n")
