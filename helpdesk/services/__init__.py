"""Use cases: the only code that changes the database. Each takes `now` from its caller."""

from flask_babel import gettext


class Refusal(ValueError):
    """A use case says no to something the person can fix.

    The message is a literal English sentence with %(name)s placeholders, so `make messages`
    extracts it; it is translated only when shown (`str`), in the language of whoever reads it.
    """

    status = 422

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return gettext(self.message, **self.params)


class NotFound(Refusal):
    """The thing asked for does not exist, or this person may not know that it does."""

    status = 404
