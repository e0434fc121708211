"""The 3-D toy data of the PCA lesson."""

from __future__ import annotations

import numpy as np


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Return the 3x3 rotation by ``roll`` about x, then ``pitch`` about y, then ``yaw`` about z."""
    cz, sz = np.cos(yaw), np.sin(yaw)
    cy, sy = np.cos(pitch), np.sin(pitch)
    cx, sx = np.cos(roll), np.sin(roll)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    return rz @ ry @ rx


def make_plane_data(n=60, noise=0.1, seed=42):
    """Return ``n`` 3-D points scattered near a tilted 2-D plane through the origin.

    The points are drawn on a flat ellipse (semi-axes 1 and 0.5, denser on one side, as in the
    classic 60-point example), jittered in all three directions by Gaussian noise of standard
    deviation ``noise``, then rotated so that the plane is tilted in space. Most of the
    variance lies in the plane; the noise off the plane is what a 2-D projection discards.

    Parameters
    ----------
    n : int
        Number of points.
    noise : float
        Standard deviation of the noise added to every coordinate.
    seed : int
        Seed of the random generator: the same seed gives the same points.

    Returns
    -------
    X : ndarray of shape (n, 3), float32, centred on the origin.
    """
    if n < 3:
        raise ValueError(f"n must be at least 3 to define a plane, got {n}")
    rng = np.random.default_rng(seed)
    angles = (rng.random(n) ** 3 + 0.5) * 2 * np.pi  # uneven: denser on one side
    radii = 0.3 + 0.7 * rng.random(n)
    X = np.zeros((n, 3))
    X[:, 0] = radii * np.cos(angles)
    X[:, 1] = 0.5 * radii * np.sin(angles)
    X += noise * rng.standard_normal((n, 3))
    X = X @ rotation_matrix(-np.pi / 4, np.pi / 30, -np.pi / 6).T
    return (X - X.mean(axis=0)).astype(np.float32)
