"""``mailer build``: many issues rendered and written (HTML, text, ``.eml``), with the records that
let an unchanged issue skip its rendering and its gate."""
