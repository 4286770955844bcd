"""The functional core: what comes next in a session, what a typed answer means.

Nothing here does I/O or knows about Telegram or the database (DESIGN.md, point 2).
"""
