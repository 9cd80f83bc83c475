"""What Flask-Login needs from a person who can sign in."""
from flask_login import UserMixin


class SignInIdentity(UserMixin):
    """The session id embeds the person's session token, so rotating the token revokes it."""

    login_kind = ""

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.login_kind}:{self.id}:{self.session_token}"
