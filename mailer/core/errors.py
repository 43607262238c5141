"""The one exception tree of mailer.

Every error a user can cause is a ``MailerError``; the CLI catches it once and prints
``Error: <message>`` (exit 1). Anything else is a bug and crashes loudly.

::

    MailerError
    ├── ConfigError        missing/invalid setting; names the key or env var to set
    ├── IssueError         path + line + what is wrong in front matter or body
    ├── TemplateError      template + line (from Jinja) or the MJML compiler's message
    ├── OutputError        an output file or folder that cannot be written
    ├── ProviderError      provider + HTTP status + the provider's own message
    │   ├── ProviderAuthError    the key is missing, wrong or lacks permission
    │   ├── ProviderUnavailable  no usable answer after retries (timeouts, 5xx, 429)
    │   │   └── OutcomeUnknown   a create whose answer was lost: it may have happened
    │   ├── ProviderMismatch     read back after a write, the email is not as asked
    │   └── UnsupportedFeature   a field the provider cannot express
    └── SendError          SMTP host:port + the server's reply

Errors hold fields and format themselves in ``__str__`` so every caller gets the same wording;
every one has ``message`` (what is wrong, without where) and ``path`` and ``line`` (where, when
known), so a caller that lists errors as findings needs no guessing. Text from outside (a
provider's reply, a server's) is masked for secrets when an error formats itself.
"""

from __future__ import annotations

from pathlib import Path

from mailer.core.secrets import redact


class MailerError(Exception):
    """Base class: something the user can fix."""

    message: str = ""
    path: Path | None = None
    line: int | None = None

    def __reduce__(self) -> tuple[object, ...]:
        # our errors take keyword fields; pickle (for build's worker processes) keeps them all
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[MailerError], args: tuple[object, ...], state: dict[str, object]
) -> MailerError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


DETAIL_CHARS = 300  # of a server's own words, at most: a whole echoed request helps nobody


def _quote(text: str) -> str:
    """A server's words on one line, cut short: never a page of HTML or an echoed body.
    Secrets are masked first: cut first, a key that starts near the cut would show its head."""
    text = " ".join(redact(text).split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


class ConfigError(MailerError):
    """A setting is missing or invalid."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.path = Path(source) if source else None

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class IssueError(MailerError):
    """An issue file cannot be read or rendered: ``path:line: message``."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class TemplateError(MailerError):
    """A template fails to load, render or compile."""

    def __init__(self, template: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.path = Path(template)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.template}:{self.line}" if self.line else self.template
        return f"{where}: {self.message}"


class OutputError(MailerError):
    """An output cannot be written."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ProviderError(MailerError):
    """A provider refused or failed a request: ``<Provider> <what> (HTTP <status> <code>): …``."""

    def __init__(
        self,
        provider: str,
        what: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(redact(detail or what))
        self.provider = provider
        self.what = what
        self.status = status
        self.code = code
        self.detail = detail
        self.hint = hint
        self.message = str(self)

    def __str__(self) -> str:
        where = ""
        if self.status is not None:
            where = f" (HTTP {self.status}{' ' + self.code if self.code else ''})"
        text = f"{self.provider} {self.what}{where}"
        if self.detail:
            text += f": {_quote(self.detail)}"
        if self.hint:
            text += f" — {self.hint}"
        return redact(text)


class ProviderAuthError(ProviderError):
    """The API key is missing, invalid or lacks a permission."""


class ProviderUnavailable(ProviderError):
    """No usable answer after retrying: the outcome of the request is unknown."""


class OutcomeUnknown(ProviderUnavailable):
    """A request that creates something got no answer: the provider may have done it.

    Never retried blindly: the caller looks again before creating once more."""


class ProviderMismatch(ProviderError):
    """Read back after a write, the provider's email is not what was asked for."""


class UnsupportedFeature(ProviderError):
    """The provider cannot express something the issue asks for."""


class SendError(MailerError):
    """A test email could not be sent: ``host:port: what happened (server reply)``."""

    def __init__(self, server: str, message: str) -> None:
        super().__init__(redact(message))
        self.server = server
        self.message = redact(message)

    def __str__(self) -> str:
        return redact(f"{self.server}: {self.message}")
