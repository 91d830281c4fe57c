"""An offline basemap: a local GeoTIFF (an exported map, an orthophoto) drawn under the vectors."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
from rasterio._err import CPLE_BaseError  # GDAL errors raised outside rasterio's own wrappers (warping)
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from .errors import InputError

#: the longest side of the image kept in memory (pixels)
MAX_SIDE_PX = 4096


@dataclass(frozen=True)
class RasterImage:
    """An RGBA image (``rows x cols x 4`` uint8) with its bounds (minx, miny, maxx, maxy) in its CRS."""

    pixels: np.ndarray
    bounds: tuple[float, float, float, float]


def read_basemap(path: str | Path, *, crs: pyproj.CRS | None) -> RasterImage:
    """Read a GeoTIFF as an RGBA image in ``crs`` (its own CRS when None). 1 band: grey; 3/4 bands: RGB(A)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("basemap file not found", path=path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError("the GeoTIFF has no coordinate reference system", path=path)
            scale = max(src.width, src.height) / MAX_SIDE_PX
            out_shape = (src.count, max(1, int(src.height / max(scale, 1))), max(1, int(src.width / max(scale, 1))))
            data = src.read(out_shape=out_shape, resampling=Resampling.average)
            transform = src.transform @ src.transform.scale(src.width / out_shape[2], src.height / out_shape[1])
            src_crs = src.crs
            nodata = src.nodata
        dst_crs = crs or pyproj.CRS.from_user_input(src_crs.to_wkt())
        count, h, w = data.shape
        left, top = transform.c, transform.f
        right, bottom = left + transform.a * w, top + transform.e * h
        dst_transform, dw, dh = calculate_default_transform(
            src_crs, dst_crs.to_wkt(), w, h, left=left, bottom=bottom, right=right, top=top
        )
        bands = min(count, 4)
        out = np.zeros((bands, dh, dw), dtype=np.float64)
        for b in range(bands):
            reproject(data[b].astype(np.float64), out[b], src_transform=transform, src_crs=src_crs,
                      dst_transform=dst_transform, dst_crs=dst_crs.to_wkt(), resampling=Resampling.bilinear,
                      src_nodata=nodata, dst_nodata=np.nan)
    except InputError:
        raise
    except (RasterioError, CPLE_BaseError, pyproj.exceptions.CRSError, ValueError, UnicodeDecodeError) as exc:
        # a damaged file fails while opening, reading or warping (a garbled CRS, a geotransform that cannot be inverted)
        raise InputError(f"cannot read the GeoTIFF: {_first_line(exc)}", path=path) from None
    valid = ~np.isnan(out[0])
    if bands >= 3:
        rgb = out[:3]
    else:
        rgb = np.repeat(out[:1], 3, axis=0)
    finite = rgb[:, valid]
    if finite.size and (finite.max() > 255 or rgb.dtype != np.uint8):
        lo, hi = np.nanpercentile(finite, [2, 98]) if finite.max() > 255 else (0.0, 255.0)
        rgb = (rgb - lo) / max(hi - lo, 1e-9) * 255.0
    pixels = np.zeros((dh, dw, 4), dtype=np.uint8)
    pixels[..., :3] = np.clip(np.nan_to_num(rgb.transpose(1, 2, 0)), 0, 255).astype(np.uint8)
    pixels[..., 3] = np.where(valid, 255, 0)
    a, e, c, f = dst_transform.a, dst_transform.e, dst_transform.c, dst_transform.f
    bounds = (c, f + e * dh, c + a * dw, f)
    return RasterImage(pixels=pixels, bounds=bounds)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
