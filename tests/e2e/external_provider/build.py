"""Build the echo provider's wheel and lay out a provider "image" directory, offline.

A wheel is a zip with the package files and a .dist-info (METADATA, WHEEL, RECORD); writing it
directly keeps the test free of build backends and downloads. The image directory is what a
provider image holds at /lls-provider: lls-provider-spec.yaml and packages/*.whl.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME, VERSION = "llsd_echo_tool", "0.1.0"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    wheel = target / f"{NAME}-{VERSION}-py3-none-any.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    files: dict[str, bytes] = {}
    for source in sorted((HERE / "src" / NAME).glob("*.py")):
        files[f"{NAME}/{source.name}"] = source.read_bytes()
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: llsd-echo-tool\nVersion: {VERSION}\n".encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: llsd-hook-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(path, data) for path, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def build_image_dir(root: Path) -> Path:
    """`root` becomes the provider image's /lls-provider."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "lls-provider-spec.yaml", root / "lls-provider-spec.yaml")
    build_wheel(root / "packages")
    return root
