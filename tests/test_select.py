"""The compiled selection kernel returns exactly what ``np.partition`` would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch._select import kth_smallest

values = st.one_of(st.sampled_from([-np.inf, 0.0, 0.25, 0.5, 1.0]),  # ties everywhere
                   st.floats(-1e6, 1e6, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.lists(values, min_size=1, max_size=80), st.data())
def test_kth_smallest_is_the_partitions_kth_value(xs, data):
    a = np.array(xs, dtype=np.float64)
    k = data.draw(st.integers(0, a.size - 1))
    extra = data.draw(st.integers(0, 5))  # a buffer longer than the values read
    buf = np.concatenate([a, np.full(extra, 7.0)])
    got = kth_smallest(buf, a.size, k)
    assert got == np.partition(a, k)[k]
    assert sorted(buf[:a.size].tolist()) == sorted(a.tolist())  # a reordering, no loss
    assert (buf[a.size:] == 7.0).all()  # nothing past n is touched


def test_all_equal_and_single():
    a = np.full(1000, 0.5)
    assert kth_smallest(a, 1000, 999) == 0.5
    assert kth_smallest(np.array([3.0]), 1, 0) == 3.0
