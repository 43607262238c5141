"""Stateful fakes of each provider's API, written from its documentation (each module cites the
pages), served by a real HTTP server on 127.0.0.1 (``server.py``). Adding a provider: one module
here, with the shared vocabulary of ``api.FakeApi``, and one line in FAKES."""

from __future__ import annotations

from fakes.api import FakeApi
from fakes.buttondown import FakeButtondown
from fakes.kit import FakeKit
from fakes.listmonk import FakeListmonk
from fakes.mailchimp import FakeMailchimp

FAKES: dict[str, type[FakeApi]] = {
    cls.provider: cls for cls in (FakeButtondown, FakeMailchimp, FakeListmonk, FakeKit)
}
