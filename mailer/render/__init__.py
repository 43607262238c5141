"""One issue → its email: the HTML and text writers, the layout (and its shortcut), inlining,
images, campaign tags, the fingerprint. Imports ``core`` and ``issue``; never a provider."""
