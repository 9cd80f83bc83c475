"""Use cases: the only code that changes the database. Each takes `now` from its caller."""


class ServiceError(ValueError):
    """Bad input a person can fix; its message is shown as is (one line)."""
