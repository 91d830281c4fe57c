"""GCJ-02 ("Mars coordinates", used by Amap/Gaode and Tencent maps) and BD-09 (Baidu) <-> WGS 84.

The forward transform is the published obfuscation formula; the inverse is computed by fixed-point
iteration, accurate to well under a centimetre inside China. Outside mainland China GCJ-02 equals WGS 84.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return GCJ-02 (lon, lat) for WGS 84 (lon, lat); arrays in, arrays out."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon_a, lat_a)
    inside = _in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return WGS 84 (lon, lat) for GCJ-02 (lon, lat), inverting the forward transform iteratively."""
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    return _invert(wgs84_to_gcj02, g_lon, g_lat, start=(g_lon.copy(), g_lat.copy()), tolerance_deg=tolerance_deg,
                   max_iter=max_iter)


def _invert(forward: Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]],
            lon: NDArray[np.float64], lat: NDArray[np.float64], *,
            start: tuple[NDArray[np.float64], NDArray[np.float64]], tolerance_deg: float,
            max_iter: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration from ``start`` (the shifts are smooth
    and small, so each step removes most of the error)."""
    x, y = start
    for _ in range(max_iter):
        f_lon, f_lat = forward(x, y)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        x = x - e_lon
        y = y - e_lat
        if np.all(np.abs(e_lon) < tolerance_deg) and np.all(np.abs(e_lat) < tolerance_deg):
            break
    return x, y


# --------------------------------------------------------------------------------------------- BD-09 (Baidu)

_X_PI = np.pi * 3000.0 / 180.0


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return BD-09 (Baidu) (lon, lat) for GCJ-02 (lon, lat): the published ``x_pi = pi*3000/180`` formula."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[
    NDArray[np.float64], NDArray[np.float64]
]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-11, max_iter: int = 10
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return GCJ-02 (lon, lat) for BD-09 (lon, lat).

    Starts from the published approximate inverse (off by a few centimetres) and refines it by
    fixed-point iteration on :func:`gcj02_to_bd09`, so a round trip agrees to well under a millimetre.
    """
    b_lon = np.asarray(lon, dtype=float)
    b_lat = np.asarray(lat, dtype=float)
    return _invert(gcj02_to_bd09, b_lon, b_lat, start=_bd09_to_gcj02_approx(b_lon, b_lat), tolerance_deg=tolerance_deg,
                   max_iter=max_iter)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return BD-09 (lon, lat) for WGS 84 (lon, lat) (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return WGS 84 (lon, lat) for BD-09 (lon, lat) (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
