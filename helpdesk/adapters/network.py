"""What the mail adapters (and DESK_URL) ask of a host name before trusting the network."""
import ipaddress


def is_loopback(host: str) -> bool:
    """Only a literal loopback address or "localhost": no DNS answer can widen it."""
    host = host.strip().lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
