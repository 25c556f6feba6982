"""Email backends: a local outbox folder, SMTP, or SendGrid's HTTP v3 API.

``send`` calls ``accepted`` with the provider's message id as soon as the provider has taken
the message, before anything else it does (an SMTP goodbye), so the sender can record it at
once. ``TemporaryError`` means "try again later"; ``PermanentError`` means retrying cannot
help (a refused address, a 4xx answer).
"""

import base64
import contextlib
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol

import httpx

from hoa.core.folders import ensure_folder
from hoa.core.settings import EmailBackend, EmailSettings


class SendError(Exception):
    pass


class TemporaryError(SendError):
    pass


class PermanentError(SendError):
    pass


Accepted = Callable[[str], None]


class Backend(Protocol):
    def send(self, message: EmailMessage, accepted: Accepted) -> None: ...


def check_address(address: str) -> None:
    _, email = parseaddr(address)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email):
        raise PermanentError(f"invalid recipient address {address!r}")


class OutboxBackend:
    """Writes each message as ``<notification id>.eml`` (rewriting the same file is harmless)."""

    def __init__(self, settings: EmailSettings) -> None:
        self.folder = settings.outbox_dir

    def send(self, message: EmailMessage, accepted: Accepted) -> None:
        ensure_folder(self.folder, "the email outbox")
        name = message["X-HOA-Notification"]
        path = self.folder / f"{name}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        tmp.replace(path)
        accepted(str(message["Message-ID"]))


class SmtpBackend:
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage, accepted: Accepted) -> None:
        smtp = smtplib.SMTP(timeout=self.settings.timeout_seconds)
        try:
            self._transmit(smtp, message)
            accepted(str(message["Message-ID"]))
            # Only now say goodbye: a worker dying during a slow QUIT has recorded the send.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            smtp.close()

    def _transmit(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        s = self.settings
        try:
            smtp.connect(s.smtp_host, s.smtp_port)
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_user, password)
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {codes}") from exc
            raise TemporaryError(f"recipient deferred: {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentError if 500 <= exc.smtp_code < 600 else TemporaryError
            raise error(f"SMTP {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryError(f"SMTP unavailable: {type(exc).__name__}") from exc


class SendGridBackend:
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def _body(self, message: EmailMessage) -> dict[str, object]:
        content, attachments = [], []
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            if part.get_filename():
                attachments.append(
                    {
                        "content": base64.b64encode(payload).decode(),
                        "type": part.get_content_type(),
                        "filename": part.get_filename(),
                        "disposition": "attachment",
                    }
                )
            else:
                charset = part.get_content_charset() or "utf-8"
                content.append({"type": part.get_content_type(), "value": payload.decode(charset)})
        name, sender = parseaddr(str(message["From"]))
        body: dict[str, object] = {
            "personalizations": [
                {"to": [{"email": email} for _, email in getaddresses([str(message["To"])])]}
            ],
            "from": {"email": sender, **({"name": name} if name else {})},
            "subject": str(message["Subject"]),
            "content": content,
            "headers": {
                "Message-ID": str(message["Message-ID"]),
                "X-HOA-Notification": str(message["X-HOA-Notification"]),
            },
        }
        if attachments:
            body["attachments"] = attachments
        return body

    def send(self, message: EmailMessage, accepted: Accepted) -> None:
        key = self.settings.sendgrid_api_key
        if key is None:
            raise PermanentError("HOA_EMAIL__SENDGRID_API_KEY is not set")
        try:
            response = httpx.post(
                f"{self.settings.sendgrid_url.rstrip('/')}/v3/mail/send",
                json=self._body(message),
                headers={"Authorization": f"Bearer {key.get_secret_value()}"},
                timeout=self.settings.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise TemporaryError(f"SendGrid unreachable: {type(exc).__name__}") from exc
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise TemporaryError(f"SendGrid answered {status}")
        if status >= 400:
            raise PermanentError(f"SendGrid answered {status}: {response.text[:300]}")
        accepted(response.headers.get("X-Message-Id") or str(message["Message-ID"]))


def get_backend(settings: EmailSettings) -> Backend:
    if settings.backend is EmailBackend.SMTP:
        return SmtpBackend(settings)
    if settings.backend is EmailBackend.SENDGRID:
        return SendGridBackend(settings)
    return OutboxBackend(settings)
