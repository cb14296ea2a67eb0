"""Turns fuzz input bytes into choices (the fuzz targets' only source of randomness), so one input
always means the same calls, whichever engine (atheris or hypothesis) produced it."""
import math
import struct

EDGE_INTS = [0, 1, 2, 3, 7, 64, -1, -2, 2**31 - 1, 2**31, 2**32 + 1, 2**40, 2**62, 2**63 - 1, -2**63, 2**64]
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 1e-38, 3.5e38, 1e39, 1e300, -1e300, math.inf, -math.inf,
               math.nan, 0.9, 1e-7]


class Reader:
    def __init__(self, data):
        self.data, self.pos = bytes(data), 0

    def byte(self):
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, n):
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def below(self, n):
        """An int in [0, n)."""
        return (self.byte() | self.byte() << 8) % n if n > 0 else 0

    def chance(self, k=2):
        """True one time in k: the odd branch (never once the input is used up)."""
        return self.below(k) == k - 1

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def small(self, hi=8):
        return self.below(hi + 1)

    def int_(self):
        if self.chance(3):
            return self.pick(EDGE_INTS)
        v = self.below(17)
        return v if v < 15 else v - 17

    def float_(self):
        if self.chance(2):
            return self.pick(EDGE_FLOATS)
        raw = self.take(8).ljust(8, b"\0")
        return struct.unpack("<d", raw)[0]

    def rest(self):
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out
