"""``mailer test-send``: the exact email to the editor's own inbox over SMTP."""
