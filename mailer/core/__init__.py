"""What everything else stands on: settings, the exception tree, secrets, limits, findings, files
written atomically, addresses. Imports nothing of mailer's but itself."""
