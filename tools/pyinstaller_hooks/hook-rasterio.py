"""PyInstaller hook for rasterio (pyinstaller-hooks-contrib has none): its compiled modules import each other
where PyInstaller cannot see it, and GDAL and PROJ read their data files from the package at run time."""
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules(
    "rasterio", filter=lambda name: ".tests" not in name and not name.startswith("rasterio.rio"))  # rio: its own CLI
datas = collect_data_files("rasterio", includes=["gdal_data/**", "proj_data/**"])
