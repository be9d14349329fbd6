"""tests/tier/ref.py IN: the word counts of IN (words: runs of [A-Za-z0-9], lowercased) as
sorted "word,count" lines, the reference of wc.flow."""
import collections
import re
import sys

counts = collections.Counter()
with open(sys.argv[1]) as f:
    for line in f:
        counts.update(re.findall(r"[a-z0-9]+", line.lower()))
for w in sorted(counts):
    print("%s,%d" % (w, counts[w]))
