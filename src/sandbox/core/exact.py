"""Float functions whose every bit is the same on any machine: exp, log, sin, the normal quantile, AR(1) filters.

numpy's own `exp`, `log`, `sin` and `power` pick SIMD kernels by CPU (AVX-512 and AVX2 ones differ from the
baseline's in the last bit), glibc's libm picks FMA or plain variants the same way, and a BLAS matrix product
sums in an order that depends on its kernel and thread count. A last-bit difference is enough to move a value
rounded to 4 decimals or to a whole microsecond. So every float that reaches a sandbox is computed from the
operations IEEE 754 rounds exactly, whichever instructions run them: +, -, *, /, sqrt, rint, frexp and ldexp,
one numpy ufunc per operation (so nothing is fused into an FMA), in a fixed order.

Accuracy is within a few units in the last place of the correctly rounded result, far past what any generator
needs; the point is that it is the *same* result everywhere.

Random draws go through `numpy.random.Generator` only for uniform doubles and integers, which are exact; the
distributions that call libm inside numpy (normal, lognormal, exponential, gamma, pareto) are drawn here by
inverting their CDFs. numpy's integer-valued draws (poisson, binomial, geometric, zipf) call libm only to
compare or floor a value: a last-bit difference changes one only when it lands within an ulp of a boundary.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

_LN2_HI = 6.93147180369123816490e-01  # the top 32 bits of ln 2, so k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_PIO2_1 = 1.57079632673412561417e00  # pi/2 in three parts (fdlibm's), exact products for |k| < 2**20
_PIO2_2 = 6.07710050650619224932e-11
_PIO2_3 = 2.02226624879595063154e-21
_INV_PIO2 = 6.36619772367581382433e-01
#: How many draws: a count, a shape, or None for one (a 0-d array; `float()` it).
Size = int | tuple[int, ...] | None
_EXP_TERMS = [1.0 / math.factorial(i) for i in range(14)]  # Taylor series of exp on |r| <= ln(2)/2
_SIN_TERMS = [(-1.0) ** i / math.factorial(2 * i + 1) for i in range(10)]  # on |r| <= pi/4
_COS_TERMS = [(-1.0) ** i / math.factorial(2 * i) for i in range(10)]
_LOG_TERMS = [2.0 / (2 * i + 1) for i in range(12)]  # log(m) = 2 atanh(s) = sum 2 s**(2i+1) / (2i+1)
#: Up to this many values, exp and log run in Python floats (`_small`).
_SMALL = 16


def _horner(x: np.ndarray, terms: list[float]) -> np.ndarray:
    """sum(terms[i] * x**i), highest power first; one ufunc per operation."""
    result = np.full_like(x, terms[-1])
    for c in reversed(terms[:-1]):
        result *= x
        result += c
    return result


def _scalar_horner(x: float, terms: list[float]) -> float:
    result = terms[-1]
    for c in reversed(terms[:-1]):
        result = result * x + c  # two roundings, as the array version: CPython never fuses these
    return result


def _small(x: np.ndarray, one: Callable[[float], float]) -> np.ndarray:
    """A few values (a plan's handful of draws) in Python floats: the same operations in the same order, so
    the same bits as the array path, without its fixed cost of ~40 numpy calls."""
    return np.array([one(v) for v in x.ravel().tolist()], np.float64).reshape(x.shape)


def _exp_one(v: float) -> float:
    if v != v:
        return math.nan
    clipped = min(max(v, -746.0), 710.0)
    k = float(round(clipped * _INV_LN2))  # round half to even, as np.rint
    r = clipped - k * _LN2_HI
    r -= k * _LN2_LO
    half = math.floor(k * 0.5)
    try:
        return math.ldexp(math.ldexp(_scalar_horner(r, _EXP_TERMS), half), int(k) - half)
    except OverflowError:
        return math.inf


def exp(x: np.ndarray | float) -> np.ndarray:
    """e**x for float64 values (overflow to inf above ~709.78, underflow to 0 below ~-745)."""
    x = np.asarray(x, np.float64)
    if x.size <= _SMALL:
        return _small(x, _exp_one)
    clipped = np.clip(np.where(np.isnan(x), 0.0, x), -746.0, 710.0)
    k = np.rint(clipped * _INV_LN2)
    r = clipped - k * _LN2_HI
    r -= k * _LN2_LO
    # ldexp in two steps keeps 2**k representable near the ends of the range
    half = np.floor(k * 0.5)
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(np.ldexp(_horner(r, _EXP_TERMS), half.astype(np.int32)), (k - half).astype(np.int32))
    return np.where(np.isnan(x), np.nan, out)


def _log_one(v: float) -> float:
    if not v > 0:
        return -math.inf if v == 0 else math.nan
    if v == math.inf:
        return math.inf
    m, e = math.frexp(v)
    if m < 0.7071067811865476:
        m, e = m * 2.0, e - 1
    s = (m - 1.0) / (m + 1.0)
    series = _scalar_horner(s * s, _LOG_TERMS) * s
    return e * _LN2_HI + (e * _LN2_LO + series)


def log(x: np.ndarray | float) -> np.ndarray:
    """Natural log for float64 values (-inf at 0, nan below)."""
    x = np.asarray(x, np.float64)
    if x.size <= _SMALL:
        return _small(x, _log_one)
    positive = np.where((x > 0) & np.isfinite(x), x, 1.0)
    m, e = np.frexp(positive)  # positive = m * 2**e, m in [0.5, 1)
    small = m < 0.7071067811865476
    m = np.where(small, m * 2.0, m)
    e = (e - small).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)  # log(m) = 2 atanh(s), |s| <= 0.1716
    s2 = s * s
    series = _horner(s2, _LOG_TERMS) * s
    out = e * _LN2_HI + (e * _LN2_LO + series)
    out = np.where(x > 0, out, np.where(x == 0, -np.inf, np.nan))
    return np.where(np.isinf(x) & (x > 0), np.inf, out)


def sin(x: np.ndarray | float) -> np.ndarray:
    """sin(x) for float64 values of moderate size (|x| < 1e6: the reduction by pi/2 is exact there)."""
    x = np.asarray(x, np.float64)
    k = np.rint(x * _INV_PIO2)
    r = x - k * _PIO2_1
    r -= k * _PIO2_2
    r -= k * _PIO2_3
    r2 = r * r
    s = _horner(r2, _SIN_TERMS) * r
    c = _horner(r2, _COS_TERMS)
    quadrant = k.astype(np.int64) % 4
    return np.select([quadrant == 0, quadrant == 1, quadrant == 2], [s, c, -s], -c)


def power(base: np.ndarray | float, exponent: np.ndarray | float) -> np.ndarray:
    """base**exponent for positive bases."""
    return exp(np.asarray(exponent, np.float64) * log(base))


# Wichura's AS241 (PPND16), the algorithm of statistics.NormalDist.inv_cdf, with this module's log; coefficients
# lowest power first, as (numerator, denominator)
_CENTRAL = (
    [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
     45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727],
    [1.0, 42.313330701600911252, 687.18700749205790830, 5394.1960214247511077, 21213.794301586595867,
     39307.895800092710610, 28729.085735721942674, 5226.4952788528545610],
)  # fmt: skip
_NEAR = (
    [1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550, 3.64784832476320460504,
     1.27045825245236838258, 0.241780725177450611770, 0.0227238449892691845833, 7.74545014278341407640e-4],
    [1.0, 2.05319162663775882187, 1.67638483018380384940, 0.689767334985100004550, 0.148103976427480074590,
     0.0151986665636164571966, 5.47593808499534494600e-4, 1.05075007164441684324e-9],
)  # fmt: skip
_FAR = (
    [6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580, 0.296560571828504891230,
     0.0265321895265761230930, 0.00124266094738807843860, 2.71155556874348757815e-5, 2.01033439929228813265e-7],
    [1.0, 0.599832206555887937690, 0.136929880922735805310, 0.0148753612908506148525, 7.86869131145613259100e-4,
     1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15],
)  # fmt: skip


def _rational(x: np.ndarray, coefficients: tuple[list[float], list[float]]) -> np.ndarray:
    return _horner(x, coefficients[0]) / _horner(x, coefficients[1])


def normal_quantile(p: np.ndarray | float) -> np.ndarray:
    """The standard normal's inverse CDF at p in (0, 1)."""
    shape = np.shape(p)
    p = np.ravel(np.asarray(p, np.float64))  # one dimension, so a single draw's tail can be assigned in place
    q = p - 0.5
    out = q * _rational(0.180625 - q * q, _CENTRAL)
    outer = np.abs(q) > 0.425  # the tails (15% of draws) in a second pass over those alone
    if outer.any():
        t = np.sqrt(-log(np.minimum(p[outer], 1.0 - p[outer])))
        tails = np.where(t <= 5.0, _rational(t - 1.6, _NEAR), _rational(t - 5.0, _FAR))
        out[outer] = np.where(q[outer] < 0, -tails, tails)
    return out.reshape(shape)


def _unit_open(rng: np.random.Generator, n: Size = None) -> np.ndarray:
    """Uniform doubles in the open interval (0, 1): 53 random bits and a half."""
    return (rng.integers(0, 2**53, n, dtype=np.int64) + 0.5) * 2.0**-53


# Marsaglia and Tsang's ziggurat with Doornik's 256 layers: layer i is a box of width X[i] between the heights
# f(X[i]) and f(X[i + 1]) of f(x) = exp(-x*x/2), every box of area _V; layer 0 is the base box plus the tail
_R, _V, _LAYERS = 3.6541528853610088, 0.00492867323399, 256


@functools.lru_cache(maxsize=1)
def _ziggurat() -> tuple[np.ndarray, np.ndarray]:
    """(X, f(X)) for the layers, X[0] = V / f(R) and X[256] = 0, built with this module's exp and log."""
    x = [_V / float(exp(-0.5 * _R * _R)), _R]
    for _ in range(_LAYERS - 2):
        inside = _V / x[-1] + float(exp(-0.5 * x[-1] * x[-1]))
        x.append(math.sqrt(max(0.0, -2.0 * float(log(inside)))))
    x.append(0.0)
    edges = np.array(x)
    return edges, exp(-0.5 * edges * edges)


def standard_normal(rng: np.random.Generator, n: Size = None) -> np.ndarray:
    """Standard normal draws by the ziggurat: one 64-bit word each (8 bits pick the layer, 1 the sign, 53 the
    place in the layer); the 1% that land outside a layer's inner box are decided with this module's exp and
    log, and drawn again when rejected, so every draw is the same on any machine."""
    shape = () if n is None else (n,) if isinstance(n, int) else tuple(n)
    edges, heights = _ziggurat()
    z, layer, negative = _boxes(rng, math.prod(shape), edges)
    pending = np.flatnonzero(z >= edges[layer + 1])
    while len(pending):
        accepted = _edge_cases(rng, z, layer, pending, edges, heights)
        again = pending[~accepted]  # rejected: a fresh word each, decided like the first
        z[again], layer[again], negative[again] = _boxes(rng, len(again), edges)
        pending = again[z[again] >= edges[layer[again] + 1]]
    return np.where(negative, -z, z).reshape(shape)


def _boxes(rng: np.random.Generator, size: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|z|, layer, sign) of `size` draws, each a uniform place along its layer's box."""
    bits = rng.bit_generator.random_raw(size).view(np.int64)
    layer = bits & (_LAYERS - 1)
    negative = (bits & _LAYERS) != 0
    z = ((bits >> 11) & (2**53 - 1)).astype(np.float64) * 2.0**-53 * edges[layer]
    return z, layer, negative


def _edge_cases(
    rng: np.random.Generator, z: np.ndarray, layer: np.ndarray, slow: np.ndarray, edges: np.ndarray,
    heights: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """For draws outside their layer's inner box: the tail (layer 0: a value beyond R by Marsaglia's method,
    tried until it is accepted, written into z) or the wedge under the curve (accepted when a uniform height
    falls below f(z); a rejected wedge is drawn again from the start)."""
    tail = layer[slow] == 0
    accepted = tail.copy()
    tails = slow[tail]
    while len(tails):
        u = _unit_open(rng, (2, len(tails)))
        a = -log(u[0]) / _R
        ok = -2.0 * log(u[1]) > a * a
        z[tails[ok]] = _R + a[ok]
        tails = tails[~ok]
    wedge = np.flatnonzero(~tail)
    if len(wedge):
        i, v = layer[slow[wedge]], z[slow[wedge]]
        height = heights[i] + _unit_open(rng, len(wedge)) * (heights[i + 1] - heights[i])
        accepted[wedge] = height < exp(-0.5 * v * v)
    return accepted


def normal(rng: np.random.Generator, mean: float | np.ndarray, sd: float, n: Size = None) -> np.ndarray:
    return mean + sd * standard_normal(rng, n)


def lognormal(rng: np.random.Generator, mean: float | np.ndarray, sigma: float, n: Size = None) -> np.ndarray:
    return exp(mean + sigma * standard_normal(rng, n))


def exponential(rng: np.random.Generator, scale: float, n: Size = None) -> np.ndarray:
    return -scale * log(_unit_open(rng, n))


def pareto(rng: np.random.Generator, shape: float, n: Size = None) -> np.ndarray:
    """Lomax (Pareto II) draws, as numpy's `pareto`: (1 - U) ** (-1 / shape) - 1."""
    return exp(log(_unit_open(rng, n)) * (-1.0 / shape)) - 1.0


def gamma(rng: np.random.Generator, shape: float, n: int) -> np.ndarray:
    """Gamma(shape, 1) draws by Marsaglia and Tsang's squeeze (shape >= 1), drawn in rounds until n are kept."""
    if shape < 1:
        raise ValueError(f"gamma: expected shape >= 1, got {shape}")
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    kept: list[np.ndarray] = []
    left = n
    while left > 0:
        size = left + left // 4 + 16
        x = standard_normal(rng, size)
        v = 1.0 + c * x
        v = v * v * v
        u = _unit_open(rng, size)
        ok = (v > 0) & (log(u) < 0.5 * x * x + d - d * v + d * log(np.where(v > 0, v, 1.0)))
        accepted = (d * v)[ok][:left]
        kept.append(accepted)
        left -= len(accepted)
    return np.concatenate(kept) if kept else np.zeros(0)


def weighted_sum(weights: list[float] | np.ndarray, values: list[float] | np.ndarray) -> float:
    """sum(w * v), correctly rounded (math.fsum), whatever BLAS a dot product would use."""
    return math.fsum(float(w) * float(v) for w, v in zip(np.ravel(weights), np.ravel(values), strict=True))


def ar1(noise: np.ndarray, phi: float, start: np.ndarray, block: int = 32) -> np.ndarray:
    """x[:, t] = phi * x[:, t - 1] + noise[:, t], with x[:, -1] = start: a recursive filter along each row.

    In blocks of `block` samples: each block's own recursion from zero, all blocks at once (one step along
    the block per operation); then the state entering each block, itself a recursion over blocks with factor
    phi**block, summed over as many blocks back as can still move a result (until the factor's power falls
    below 2**-60); then that state times phi**(1..block) added to every block at once. Elementwise operations
    in the noise's precision (float32 stays float32: IEEE rounds those exactly too) and in a fixed order: no
    matrix product, no reduction whose order a library picks.
    """
    rows, n = noise.shape
    blocks = -(-n // block)
    kind = noise.dtype if noise.dtype == np.float32 else np.dtype(np.float64)
    x = np.zeros((rows, blocks * block), kind)
    x[:, :n] = noise
    x = x.reshape(rows, blocks, block)
    step = kind.type(phi)
    for j in range(1, block):
        x[:, :, j] += step * x[:, :, j - 1]
    decay = [float(phi)]
    for _ in range(block - 1):
        decay.append(decay[-1] * phi)
    powers, factor = np.array(decay, kind), decay[-1]
    # entering[:, b] = sum over k >= 0 of factor**k * last[:, b - 1 - k], with last[:, -1] = start
    last = np.concatenate([np.asarray(start, kind)[:, None], x[:, :-1, -1]], axis=1)
    entering = last.copy()
    weight, back = factor, 1
    while back < blocks and weight >= 2.0**-60:
        entering[:, back:] += kind.type(weight) * last[:, :-back]
        weight, back = weight * factor, back + 1
    x += powers * entering[:, :, None]
    return x.reshape(rows, -1)[:, :n]
