"""When a certificate file's first certificate expires, read with the standard library only."""
import ssl
from datetime import UTC, datetime


class CertificateError(ValueError):
    """The file holds no certificate that can be read."""


def not_after(path: str) -> datetime:
    """The expiry (notAfter) of the first PEM certificate in `path`, as aware UTC."""
    try:
        # The stdlib's own decoder (Python has no public one); `cryptography` is not installed.
        decoded = ssl._ssl._test_decode_cert(path)
    except (ssl.SSLError, OSError) as error:
        raise CertificateError(f"{path}: no certificate could be read") from error
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(decoded["notAfter"]), UTC)
