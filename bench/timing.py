"""Timing shared by bench/run.py (acc and PyTorch) and bench/peers.py
(acc, ONNX Runtime and IREE): the same measurement for every column."""
import time


def median_time(fn, min_reps=5, budget=0.6):
    """Median seconds of repeated calls of `fn` after one warm-up call: at
    least `min_reps` calls (3 when one call takes over a second), more until
    `budget` seconds have passed, at most 200."""
    t = time.perf_counter()
    fn()
    if time.perf_counter() - t > 1.0:  # slow calls: 3 timed runs
        min_reps = 3
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget and len(times) < 200):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]
