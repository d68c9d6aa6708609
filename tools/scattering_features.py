#!/usr/bin/env python3
"""Numpy reference for dpmammo's scattering features (models.scatter.Scattering, ScatterNet) and the prototype
measurements that chose them.

    python3 tools/scattering_features.py DATA_ROOT SYNTHETIC_DIR [--size 64] [--scales 3]
    python3 tools/scattering_features.py --fixture src/test/resources/fixtures/scattering-32

DATA_ROOT holds the study layout train|val|test/is_benign_{true,false}/*.png; SYNTHETIC_DIR a flat folder of
*_benign.png / *_malignant.png (the public synthetic set). Only numpy and scipy are needed (PNG is decoded here:
8-bit grayscale, non-interlaced). The transform is written independently of the Java code from the same
definitions (Morlet filters sampled periodised on the grid, moduli at the coarsest resolution of their band).

Prints, for pooling and normalisation variants, validation and test AUROC of an L2 logistic regression (no DP), and
test AUROC of the same linear model trained by DP-Adam in numpy (Poisson batches of expected size 128, C = 1,
30 epochs, σ = 6.54: the σ the grid calibrates for ε = 1 at N = 1104, δ = 1e-4) from zeros and from the model fitted
on the synthetic set. These are prototype numbers to choose a design, not the experiment's (docs/RESULTS.md).
"""
import argparse, glob, os, struct, zlib
import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata


def png(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n', path
    i, idat, w, h = 8, b'', 0, 0
    while i < len(b):
        n, = struct.unpack('>I', b[i:i + 4]); t = b[i + 4:i + 8]; d = b[i + 8:i + 8 + n]; i += 12 + n
        if t == b'IHDR':
            w, h, depth, colour = struct.unpack('>IIBB', d[:10]); assert depth == 8 and colour == 0, path
        elif t == b'IDAT':
            idat += d
    raw = zlib.decompress(idat); out = np.zeros((h, w), np.int32); prev = np.zeros(w, np.int32)
    for y in range(h):
        f = raw[y * (w + 1)]; line = np.frombuffer(raw[y * (w + 1) + 1:(y + 1) * (w + 1)], np.uint8).astype(np.int32)
        cur = np.zeros(w, np.int32)
        for x in range(w):
            a = cur[x - 1] if x else 0; c = prev[x - 1] if x else 0; up = prev[x]
            p = [0, a, up, (a + up) // 2, 0][f]
            if f == 4:
                pa, pb, pc = abs(up - c), abs(a - c), abs(a + up - 2 * c)
                p = a if pa <= pb and pa <= pc else (up if pb <= pc else c)
            cur[x] = (line[x] + p) & 255
        out[y] = cur; prev = cur
    return out


def gabor(n, sigma, theta, xi, slant=1.0):
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]]); curv = R @ np.diag([1, slant * slant]) @ R.T / (2 * sigma * sigma)
    g = np.zeros((n, n), complex)
    for ex in range(-2, 3):
        for ey in range(-2, 3):
            x, y = np.mgrid[ex * n:(ex + 1) * n, ey * n:(ey + 1) * n]
            g += np.exp(-(curv[0, 0] * x * x + 2 * curv[0, 1] * x * y + curv[1, 1] * y * y) + 1j * xi * (x * c + y * s))
    return g / (2 * np.pi * sigma * sigma / slant)


def morlet(n, sigma, theta, xi, slant):
    w, env = gabor(n, sigma, theta, xi, slant), gabor(n, sigma, theta, 0, slant)
    return w - w.sum() / env.sum() * env


def cut(F, r):
    """A filter spectrum for a signal at resolution n/2^r: frequencies above its Nyquist band zeroed, then folded."""
    if r == 0:
        return F.copy()
    n = F.shape[0]; k = 2 ** r; m = n // k; G = F.copy()
    start, length = int(n * 2 ** (-r - 1)), int(n * (1 - 2 ** (-r)))
    G[start:start + length, :] = 0; G[:, start:start + length] = 0
    return G.reshape(k, m, k, m).sum((0, 2))


def fold(F, k):
    """Spectrum of the signal subsampled by k: the mean of the aliases."""
    if k == 1:
        return F
    b, n = F.shape[0], F.shape[-1]; m = n // k
    return F.reshape(b, k, m, k, m).mean((1, 3))


def scattering(x, J, L):
    """x [B, n, n] -> [B, 1 + J·L + L²·J(J−1)/2, n/2^J, n/2^J], channels S0, S1 (j1, t1), S2 (j1, t1, j2, t2)."""
    n = x.shape[-1]
    psi = [[cut(np.real(np.fft.fft2(morlet(n, 0.8 * 2 ** j, (L - L // 2 - 1 - t) * np.pi / L, 0.75 * np.pi / 2 ** j, 4.0 / L))), r)
            for r in range(j + 1)] for j in range(J) for t in range(L)]
    low = np.real(np.fft.fft2(gabor(n, 0.8 * 2 ** (J - 1), 0, 0)))
    phi = [cut(low, r) for r in range(J)]
    lp = lambda F, r: np.real(np.fft.ifft2(fold(F * phi[r], 2 ** (J - r))))
    X = np.fft.fft2(x); out = [lp(X, 0)]; U = []
    for a in range(J * L):
        j1 = a // L
        u = np.fft.fft2(np.abs(np.fft.ifft2(fold(X * psi[a][0], 2 ** j1)))); U.append(u); out.append(lp(u, j1))
    for a in range(J * L):
        j1 = a // L
        for b in range((j1 + 1) * L, J * L):
            j2 = b // L
            u = np.fft.fft2(np.abs(np.fft.ifft2(fold(U[a] * psi[b][j1], 2 ** (j2 - j1)))))
            out.append(lp(u, j2))
    return np.stack(out, 1)


def features(S, J, L, norm):
    """log(mean |S| + 1e-3) over the whole map and its central half; per-example group standardisation (ScatterNet's) or none."""
    b, K, h, w = S.shape; c = slice(h // 4, h - h // 4)
    F = np.concatenate([np.log(np.abs(S).mean((2, 3)) + 1e-3), np.log(np.abs(S[:, :, c, c]).mean((2, 3)) + 1e-3)], 1)
    if norm == 'group':
        order = np.array([0] + [1] * (J * L) + [2] * (K - 1 - J * L)); groups = np.concatenate([order, order + 3])
        for g in np.unique(groups):
            m = groups == g; v = F[:, m]
            F[:, m] = (v - v.mean(1, keepdims=True)) / np.sqrt(v.var(1, keepdims=True) + 1e-5)
    return F


def auroc(y, s):
    r = rankdata(s); n1 = y.sum(); n0 = len(y) - n1
    return (r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def logistic(X, y, lam=1e-2):
    def f(w):
        z = X @ w[:-1] + w[-1]; p = 1 / (1 + np.exp(-z))
        return (np.mean(np.logaddexp(0, z) - y * z) + lam * w[:-1] @ w[:-1],
                np.concatenate([X.T @ (p - y) / len(y) + 2 * lam * w[:-1], [np.mean(p - y)]]))
    return minimize(f, np.zeros(X.shape[1] + 1), jac=True, method='L-BFGS-B', options={'maxiter': 500}).x


def dp_adam(X, y, sigma, seed, w0=None, epochs=30, batch=128, clip=1.0, lr=0.03):
    rng = np.random.default_rng(seed); n = len(y); q = batch / n
    Xb = np.hstack([X, np.ones((n, 1))]); w = np.zeros(Xb.shape[1]) if w0 is None else w0.copy()
    m = np.zeros_like(w); v = np.zeros_like(w)
    for t in range(1, int(np.ceil(n / batch)) * epochs + 1):
        i = np.nonzero(rng.random(n) < q)[0]
        g = (1 / (1 + np.exp(-Xb[i] @ w)) - y[i])[:, None] * Xb[i]
        g *= np.minimum(1, clip / (np.linalg.norm(g, axis=1) + 1e-6))[:, None]
        G = (g.sum(0) + rng.normal(0, sigma * clip, len(w))) / (q * n)
        m = 0.9 * m + 0.1 * G; v = 0.999 * v + 0.001 * G * G
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def load(root, synthetic, size):
    data = {}
    for split in ('train', 'val', 'test'):
        xs, ys = [], []
        for label, sub in ((1, 'is_benign_true'), (0, 'is_benign_false')):
            for f in sorted(glob.glob(os.path.join(root, split, sub, '*.png'))):
                xs.append(png(f)); ys.append(label)
        data[split] = (np.array(xs), np.array(ys))
    files = sorted(glob.glob(os.path.join(synthetic, '*.png')))
    data['synthetic'] = (np.array([png(f) for f in files]), np.array([1 if f.endswith('_benign.png') else 0 for f in files]))
    for k, (x, y) in data.items():
        f = x.shape[-1] // size  # area resize to size × size, as the classifier pipeline
        data[k] = (x.astype(np.float64).reshape(len(x), size, f, size, f).mean((2, 4)) / 255.0, y)
    return data


def fixture_image(n=32):
    """The deterministic test image of ScatteringTest: 0.5 + 0.5·sin(0.37·i + 0.011·i²/n) at row-major index i, in float32."""
    i = np.arange(n * n)
    return (0.5 + 0.5 * np.sin(0.37 * i + 0.011 * i * i / n)).astype(np.float32).astype(np.float64).reshape(1, n, n)


def write_fixture(folder):
    """scattering-32/reference.txt: the transform (J = 2, L = 8) of fixture_image(), one value per line."""
    os.makedirs(folder, exist_ok=True)
    np.savetxt(os.path.join(folder, 'reference.txt'), scattering(fixture_image(), 2, 8).ravel(), fmt='%.9g')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('data_root', nargs='?'); ap.add_argument('synthetic', nargs='?')
    ap.add_argument('--size', type=int, default=64); ap.add_argument('--scales', type=int, default=3)
    ap.add_argument('--fixture', metavar='DIR', help='only write the test fixture (src/test/resources/fixtures/scattering-32)')
    a = ap.parse_args()
    if a.fixture:
        write_fixture(a.fixture)
        return
    size, J, L = a.size, a.scales, 8
    data = load(a.data_root, a.synthetic, size)
    S = {k: np.concatenate([scattering(x[i:i + 200], J, L) for i in range(0, len(x), 200)]) for k, (x, _) in data.items()}
    y = {k: v[1] for k, v in data.items()}
    for norm in ('group', 'synthetic statistics', 'training statistics'):
        F = {k: features(s, J, L, 'group' if norm == 'group' else None) for k, s in S.items()}
        if norm != 'group':
            ref = F['synthetic' if norm.startswith('synthetic') else 'train']
            mu, sd = ref.mean(0), ref.std(0) + 1e-8
            F = {k: (v - mu) / sd for k, v in F.items()}
        w = logistic(F['train'], y['train']); ws = logistic(F['synthetic'], y['synthetic'])
        dp = [auroc(y['test'], F['test'] @ dp_adam(F['train'], y['train'], 6.54, s)[:-1]) for s in range(3)]
        warm = [auroc(y['test'], F['test'] @ dp_adam(F['train'], y['train'], 6.54, s, w0=ws)[:-1]) for s in range(3)]
        print(f"{norm:22s} no DP: val {auroc(y['val'], F['val'] @ w[:-1]):.3f} test {auroc(y['test'], F['test'] @ w[:-1]):.3f}; "
              f"synthetic only: test {auroc(y['test'], F['test'] @ ws[:-1]):.3f}; "
              f"σ 6.54: test {np.mean(dp):.3f} ± {np.std(dp):.3f}, from the synthetic fit {np.mean(warm):.3f} ± {np.std(warm):.3f}", flush=True)


if __name__ == '__main__':
    main()
