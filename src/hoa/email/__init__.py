"""Email: rendering (Jinja2, text + HTML, .ics) and the backends that send it."""
