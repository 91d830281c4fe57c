"""PyInstaller hook for pyogrio (pyinstaller-hooks-contrib has none): its compiled modules import each other
where PyInstaller cannot see it, and GDAL and PROJ read their data files from the package at run time."""
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("pyogrio", filter=lambda name: ".tests" not in name)
datas = collect_data_files("pyogrio", includes=["gdal_data/**", "proj_data/**"])
