"""Starting out: ``mailer init`` (a newsletter's repository) and ``mailer new`` (the next issue)."""
