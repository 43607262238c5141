"""Each provider's template language, as far as mailer needs it: the unsubscribe merge tag our
footer carries, and the ``{{ … }}`` / ``{% … %}`` words the provider fills in when it sends.

One table, read by the layout (footer), by ``check`` (template leftovers) and by the listmonk
provider (which escapes every other ``{{`` for Go templates).
"""

from __future__ import annotations

UNSUBSCRIBE = {
    "buttondown": "{{ unsubscribe_url }}",
    "mailchimp": "*|UNSUB|*",
    "listmonk": "{{ UnsubscribeURL }}",
    "kit": "{{ unsubscribe_url }}",
}

# the first word inside {{ … }} that the provider understands
VARIABLES: dict[str, frozenset[str]] = {
    "buttondown": frozenset(
        {
            "subscriber",
            "unsubscribe_url",
            "email_url",
            "email",
            "newsletter",
            "manage_subscription_url",
            "subscribe_url",
        }
    ),
    "kit": frozenset({"subscriber", "unsubscribe_url", "first_name", "email_address"}),
    # Go templates: functions and actions; fields start with "." (.Subscriber.Name)
    "listmonk": frozenset(
        {
            "UnsubscribeURL",
            "ManageURL",
            "OptinURL",
            "MessageURL",
            "TrackView",
            "TrackLink",
            "Date",
            "L",
            "Safe",
            "if",
            "else",
            "end",
            "range",
            "with",
            "template",
        }
    ),
    "mailchimp": frozenset(),  # its merge tags are *|TAG|*, never braces
}

# the tags the provider understands inside {% … %}
BLOCKS: dict[str, frozenset[str]] = {
    "buttondown": frozenset({"if", "elif", "else", "endif", "for", "endfor", "with", "endwith"}),
    "kit": frozenset({"if", "elsif", "else", "endif", "unless", "endunless", "for", "endfor"}),
    "listmonk": frozenset(),
    "mailchimp": frozenset(),
}


def is_merge_variable(provider: str, expression: str) -> bool:
    """Whether ``{{ expression }}`` is something `provider` fills in when it sends."""
    import re

    inner = expression.strip().lstrip("-").strip()
    if provider == "listmonk" and inner.startswith("."):
        return True
    root = re.split(r"[\s.(|]", inner.lstrip("."), maxsplit=1)[0]
    return root in VARIABLES.get(provider, frozenset())
