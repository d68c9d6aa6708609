#!/usr/bin/env python3
"""Independent reference for the RDP accountant, written from the definition, not from any library's code.

For the Poisson-subsampled Gaussian (Mironov, Talwar & Zhang 2019, arXiv 1908.10530):
    A_alpha = E_{z ~ N(0, sigma^2)} [ ((1 - q) + q * exp((2z - 1) / (2 sigma^2)))^alpha ]
    RDP(alpha) = log(A_alpha) / (alpha - 1)
computed here in 40-digit arithmetic (mpmath): integer orders by the exact binomial expansion of the expectation,
fractional orders by adaptive quadrature of A_alpha - 1, so neither shares a code path with the Java log-space
series. To keep the run short, fractional orders are evaluated only within 2 of the best integer order (eps is
smooth in alpha, so the optimum cannot hide elsewhere). The conversion is Balle et al. 2020, Thm 21:
    eps = min_alpha  steps * RDP(alpha) + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1)
over Opacus' default orders. Output: CSV q,sigma,steps,delta,eps,order on stdout.

Usage: python3 tools/rdp_reference.py > src/test/resources/org/dpmammo/privacy/accounting/rdp-reference.csv
Needs only mpmath (Debian: python3-mpmath). Slow: about an hour on a busy 2-core machine (the q = 0.5,
sigma = 10 quadratures dominate).
"""
import mpmath as mp

mp.mp.dps = 40

ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))

SETTINGS = [  # q, sigma, steps, delta: spread over q in [0.001, 1], sigma in [0.5, 10], steps in [1, 1e4]
    (0.001, 0.5, 1, 1e-5),
    (0.001, 1.0, 10000, 1e-6),
    (0.01, 0.7, 1000, 1e-5),
    (0.02, 2.0, 5000, 1e-6),
    (0.05, 1.0, 300, 1e-5),
    (0.1, 0.5, 50, 1e-6),
    (0.1, 4.0, 10000, 1e-5),
    (0.3, 1.2, 200, 1e-6),
    (0.5, 10.0, 10000, 1e-5),
    (0.9, 3.0, 20, 1e-6),
]


def log_a(q, sigma, alpha):
    q, sigma, alpha = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)
    s2 = sigma * sigma

    def f(z):
        # density of N(0, sigma^2) times (ratio^alpha - 1); the -1 keeps A - 1 exact when it is tiny
        base = (1 - q) + q * mp.exp((2 * z - 1) / (2 * s2))
        return mp.npdf(z, 0, sigma) * mp.expm1(alpha * mp.log(base))

    # The integrand's mass sits near 0 (the Gaussian) and near z = alpha (where q e^{...} dominates):
    # split there so the quadrature sees each bump.
    hi = float(alpha) + 60 * float(sigma)
    pts = [-mp.inf, -60 * float(sigma)]
    step = float(sigma)
    x = -60 * float(sigma)
    while x < hi:
        x += step
        pts.append(x)
    pts.append(mp.inf)
    a_minus_1 = mp.quad(f, pts)
    return mp.log1p(a_minus_1)


def log_a_integer(q, sigma, alpha):
    # E[((1-q) + q e^{(2z-1)/(2s^2)})^n] = sum_i C(n,i) (1-q)^{n-i} q^i E[e^{i(2z-1)/(2s^2)}],
    # and E[e^{i(2z-1)/(2s^2)}] = e^{(i^2 - i)/(2 s^2)} for z ~ N(0, s^2).
    q, s2 = mp.mpf(q), mp.mpf(sigma) ** 2
    return mp.log(mp.fsum(mp.binomial(alpha, i) * (1 - q) ** (alpha - i) * q ** i * mp.exp((i * i - i) / (2 * s2))
                          for i in range(alpha + 1)))


def eps_at(q, sigma, steps, delta, a):
    a_ = mp.mpf(a)
    if q == 1:
        rdp = a_ / (2 * mp.mpf(sigma) ** 2)
    elif a == int(a):
        rdp = log_a_integer(q, sigma, int(a)) / (a_ - 1)
    else:
        rdp = log_a(q, sigma, a) / (a_ - 1)
    return steps * rdp + mp.log((a_ - 1) / a_) - (mp.log(delta) + mp.log(a_)) / (a_ - 1)


def main():
    print("q,sigma,steps,delta,eps,order")
    for q, sigma, steps, delta in SETTINGS:
        best, best_a = None, None
        integer = [a for a in ORDERS if a == int(a)]
        for a in integer:
            eps = eps_at(q, sigma, steps, delta, a)
            if best is None or eps < best:
                best, best_a = eps, a
        near = [a for a in ORDERS if a != int(a) and abs(a - best_a) <= 2]
        for a in near:
            eps = eps_at(q, sigma, steps, delta, a)
            if eps < best:
                best, best_a = eps, a
        print(f"{q},{sigma},{steps},{delta},{mp.nstr(best, 17)},{best_a}", flush=True)


if __name__ == "__main__":
    main()
