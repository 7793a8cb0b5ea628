"""A selection kernel (the k-th smallest value) that compiles in a fraction of a second.

numba's ``np.partition`` takes about twenty seconds to compile and the kernels call it on
every row; this quickselect returns the very same value (the k-th smallest is one value,
whatever the method), reordering the buffer it is given.
"""

from __future__ import annotations

from typing import Any

from numba import njit

__all__ = ["kth_smallest"]


@njit(cache=True, nogil=True)
def kth_smallest(a: Any, n: int, k: int) -> float:
    """Return ``np.partition(a[:n], k)[k]`` (``0 <= k < n``), reordering ``a[:n]`` in place.

    Hoare partitioning around a median of three, so runs of equal values (ties) split
    evenly instead of degrading the search. ``a`` holds no NaN.
    """
    lo, hi = 0, n - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return a[k]
    return a[k]
