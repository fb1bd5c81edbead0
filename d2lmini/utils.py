"""Small utilities shared by both backends: a stopwatch and running sums."""
import time


class Timer:
    """Record several running times.

    >>> t = Timer(); t.stop() >= 0
    True
    """

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start the timer."""
        self.tik = time.perf_counter()

    def stop(self):
        """Stop the timer and record the time in a list; return it (seconds)."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        """The average time."""
        return sum(self.times) / len(self.times)

    def sum(self):
        """The sum of the times."""
        return sum(self.times)

    def cumsum(self):
        """The accumulated times."""
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out


class Accumulator:
    """Sums over ``n`` variables, e.g. (loss sum, correct predictions, examples).

    >>> acc = Accumulator(2); acc.add(1, 2); acc.add(3, 4); acc[0], acc[1]
    (4.0, 6.0)
    """

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        if len(args) != len(self.data):
            raise ValueError(f"expected {len(self.data)} values, got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]
