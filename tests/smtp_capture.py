"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from flask import Flask

SENDER = "Matchmaker <mail@matchmaker.example.org>"


class Recorder:
    """An aiosmtpd handler that keeps what it accepts and refuses the addresses it is told."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            for envelope in self.envelopes
        ]


def free_port() -> int:
    """A port nothing listens on (the kernel just handed it out and it was closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(app: Flask, **controller_options) -> Iterator[Recorder]:  # noqa: ANN003
    """An SMTP server on a free local port, with the app's MAIL_* settings pointing at it."""
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_DEFAULT_SENDER=SENDER,
    )
    try:
        yield handler
    finally:
        controller.stop()
