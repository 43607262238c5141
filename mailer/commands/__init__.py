"""The CLI's commands, by group; ``mailer/cli.py`` puts them under one ``mailer`` group."""

from __future__ import annotations

from mailer.commands.outputs import archive, build
from mailer.commands.review import shots
from mailer.commands.sending import import_command, push, status, sync, test_send
from mailer.commands.writing import check, init, new, preview

WRITING = (init, new, build, check, preview, archive)
SENDING = (sync, import_command, push, status, test_send)
REVIEW = (shots,)
