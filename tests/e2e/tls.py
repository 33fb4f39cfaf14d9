"""Self-signed TLS material for E2E tests of HTTPS servers (serverTLS, HTTPS probes).

Made with the `openssl` CLI at test time: no key is ever committed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def self_signed_cert(directory: Path, common_name: str = "localhost") -> tuple[bytes, bytes]:
    """A P-256 certificate for localhost/127.0.0.1 valid one day; returns (cert PEM, key PEM)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl CLI not found (Debian package `openssl`)")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={common_name}",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert.read_bytes(), key.read_bytes()
