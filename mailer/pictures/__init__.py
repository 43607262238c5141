"""``mailer shots``: pictures of the email drawn in headless Chromium, and what a change did."""
