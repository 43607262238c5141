"""Reading issue files: the header, the Markdown, the sanitizer, and the one loop over many files.
Imports only ``mailer.core``."""
