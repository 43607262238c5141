"""``mailer preview``: the issues as subscribers will see them, served locally, live."""
