from helpdesk.adapters.network import is_loopback


def test_only_literal_loopback_addresses_and_localhost_are_loopback():
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", " LocalHost ")
            ] == [True] * 5
    assert not any(is_loopback(h) for h in ("10.0.0.1", "localhost.evil.example", "mail", ""))

