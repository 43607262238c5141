"""``mailer archive``: the public web archive, its Atom feed and sitemap, from the same issues."""
